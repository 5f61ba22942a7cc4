import { createDefaultRecommendationPolicy } from '../recommendation-policy.js';
import { childLogger, silentLogger, type Logger } from '../logger.js';
import type { RecommendationPolicy, TradeValidator } from '../interfaces.js';
import { parseWith } from '../parse.js';
import { systemClock, type Clock } from '../time.js';
import { PipelineEventBus } from './events.js';
import { PipelineTuningSchema, type PipelineOptions, type PipelineTuning } from './options.js';

/** What the stages share inside one pipeline. @internal */
export interface PipelineRuntime {
  /** The pipeline's options (a copy: the batched replay swaps its `store` for the replay's view while it runs). */
  readonly options: PipelineOptions;
  readonly tuning: PipelineTuning;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly bus: PipelineEventBus;
  readonly policy: RecommendationPolicy;
  readonly validators: readonly TradeValidator[];
  readonly random: () => number;
}

/** The runtime of a pipeline's options: tuning parsed, defaults filled, validators collected. @internal */
export function createRuntime(options: PipelineOptions): PipelineRuntime {
  const logger: Logger = childLogger(options.logger ?? silentLogger, { pipelineId: options.pipelineId });
  const validators = [...(options.validator === undefined ? [] : [options.validator]), ...(options.plugins ?? []).flatMap((plugin) => plugin.validators ?? [])];
  return {
    options: { ...options },
    tuning: parseWith(PipelineTuningSchema, options.tuning ?? {}, 'pipeline tuning'),
    clock: options.clock ?? systemClock,
    logger,
    bus: new PipelineEventBus(logger),
    policy: options.policy ?? createDefaultRecommendationPolicy(),
    validators,
    random: options.random ?? Math.random,
  };
}

/** Exponential backoff with up to 20 % jitter: base × 2^(attempt−1), capped. @internal */
export function backoffMs(runtime: PipelineRuntime, attempt: number): number {
  const { baseBackoffMs, maxBackoffMs } = runtime.tuning;
  const raw = Math.min(maxBackoffMs, baseBackoffMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (1 + 0.2 * runtime.random()));
}
