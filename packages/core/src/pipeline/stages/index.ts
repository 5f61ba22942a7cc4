// A candle's path through the pipeline, top-down: each box of the design document is one declared stage,
// in its own file. (Box 1, market data, is a loop rather than a queue stage: `market-data.ts`.)
import type { PipelineRuntime } from '../runtime.js';
import type { AnyPipelineStage } from '../stage.js';
import { createExecutionStage } from './execution.js';
import type { FeatureEngines } from './feature-engines.js';
import { createFillsStage } from './fills.js';
import { createValidationStage } from './llm-validation.js';
import type { OrderReconciler } from './order-reconciler.js';
import { createRiskStage } from './risk.js';
import { createSignalBridgeStage } from './signal-bridge.js';
import { createSignalGenerationStage } from './signal-generation.js';

/** The shape of each built-in stage (what plugins may slot in after), whether or not this process runs it. @internal */
export const BUILT_IN_STAGES = [
  { name: 'signal', kind: 'candle', state: 'PENDING', passesTo: undefined },
  { name: 'bridge', kind: 'signal', state: 'PENDING', passesTo: undefined },
  { name: 'validation', kind: 'recommendation', state: 'PENDING_VALIDATION', passesTo: 'PENDING_RISK' },
  { name: 'risk', kind: 'recommendation', state: 'PENDING_RISK', passesTo: 'PENDING_EXECUTION' },
  { name: 'execution', kind: 'recommendation', state: 'PENDING_EXECUTION', passesTo: undefined },
  { name: 'fills', kind: 'recommendation', state: 'SUBMITTED', passesTo: undefined },
] as const;

/**
 * The built-in stages, in a candle's order: signal generation (2), the bridge (3), LLM validation (4),
 * risk (5), execution (6), fills (7). Signal generation needs the feature engines and fills the reconciler.
 * @internal
 */
export function builtInStages(runtime: PipelineRuntime, parts: { readonly engines?: FeatureEngines; readonly reconciler?: OrderReconciler }): AnyPipelineStage[] {
  const stages: AnyPipelineStage[] = [];
  if (parts.engines !== undefined) stages.push(createSignalGenerationStage(runtime, parts.engines) as AnyPipelineStage);
  stages.push(createSignalBridgeStage(runtime) as AnyPipelineStage);
  stages.push(createValidationStage(runtime) as AnyPipelineStage);
  stages.push(createRiskStage(runtime) as AnyPipelineStage);
  stages.push(createExecutionStage(runtime) as AnyPipelineStage);
  if (parts.reconciler !== undefined) stages.push(createFillsStage(parts.reconciler, runtime.tuning.maxBackoffMs) as AnyPipelineStage);
  return stages;
}
