/**
 * @packageDocumentation
 * The contracts of a tradepipe pipeline: the records that flow between stages (zod schemas and types),
 * the stage interfaces, the store, the Pipeline that composes them, errors, config and logging.
 * Core has no I/O; implementations live in the other `@tradepipe/*` packages.
 */
export * from './errors.js';
export * from './decimal.js';
export * from './time.js';
export * from './logger.js';
export * from './ids.js';
export * from './parse.js';
export * from './records/market.js';
export * from './records/trading.js';
export * from './records/risk.js';
export * from './records/execution.js';
export * from './gap-policy.js';
export * from './approval.js';
export * from './store.js';
export * from './interfaces.js';
export * from './memory-store.js';
export * from "./memory-ledger.js";
export * from "./store-rules.js";
export * from './recommendation-policy.js';
export * from './validation-records.js';
export { Pipeline, createPipeline } from './pipeline/pipeline.js';
export { STAGE_NAMES, PipelineTuningSchema, type StageName, type PipelinePlugin, type PipelineOptions, type PipelineTuning } from './pipeline/options.js';
export type { PipelineEvents, PipelineListener, PipelineListeners } from './pipeline/events.js';
export * from './config.js';
export * from './order-intent.js';
