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
