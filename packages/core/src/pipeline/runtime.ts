import type { Logger } from '../logger.js';
import type { RecommendationPolicy, TradeValidator } from '../interfaces.js';
import type { Clock } from '../time.js';
import type { PipelineEventBus } from './events.js';
import type { PipelineOptions, PipelineTuning } from './options.js';

/** What the stages share inside one pipeline. @internal */
export interface PipelineRuntime {
  readonly options: PipelineOptions;
  readonly tuning: PipelineTuning;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly bus: PipelineEventBus;
  readonly policy: RecommendationPolicy;
  readonly validators: readonly TradeValidator[];
  readonly random: () => number;
}

/** Exponential backoff with up to 20 % jitter: base × 2^(attempt−1), capped. @internal */
export function backoffMs(runtime: PipelineRuntime, attempt: number): number {
  const { baseBackoffMs, maxBackoffMs } = runtime.tuning;
  const raw = Math.min(maxBackoffMs, baseBackoffMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (1 + 0.2 * runtime.random()));
}
