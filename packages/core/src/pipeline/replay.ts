import type { Candle } from '../records/market.js';
import { candleCloseMs } from '../records/market.js';
import type { PipelineStore } from '../store.js';
import type { ManualClock } from '../time.js';
import type { Pipeline } from './pipeline.js';
import { checkpointFeatures, replayAccessOf } from './replay-access.js';

/** The most retry times {@link runCandleWork} moves the clock to after one candle (a bound, far above any pipeline's maxAttempts × items). */
const MAX_RETRY_ROUNDS = 10_000;

/**
 * The times of the retries a pipeline's failures schedule, followed for a replay's length (`item:retried`): a retry
 * scheduled after one candle may come due after the next candles at the same close. `dispose` stops following.
 * @internal
 */
export class ScheduledRetries {
  private readonly dueAtMs: number[] = [];
  private readonly stopListening: () => void;

  constructor(pipeline: Pipeline) {
    this.stopListening = pipeline.on('item:retried', ({ availableAtMs }) => void this.dueAtMs.push(availableAtMs));
  }

  /** The earliest retry due after `afterMs`, or +∞; forgets those due at or before it (run by then). */
  next(afterMs: number): number {
    let earliest = Number.POSITIVE_INFINITY;
    let kept = 0;
    for (const atMs of this.dueAtMs) {
      if (atMs <= afterMs) continue;
      this.dueAtMs[kept] = atMs;
      kept += 1;
      if (atMs < earliest) earliest = atMs;
    }
    this.dueAtMs.length = kept;
    return earliest;
  }

  /** Stops following the pipeline's retries. */
  dispose(): void {
    this.stopListening();
  }
}

/**
 * Runs a replayed candle's work as a live pipeline would between this candle's close and the next's: until idle,
 * then — while a retry (of this candle's work or an earlier one's) is due before `next` (the next candle replayed, of
 * any series; for the last, this series' next candle) closes — moves the manual clock to the earliest such retry and
 * runs until idle again. A retryable failure (an LLM briefly unreachable) is thus retried at its time, not after the
 * next candle, when its recommendation may have expired; a candle still to come is never replayed late. Without
 * retries it is exactly `runUntilIdle`. Both replay modes run every full-path candle through it.
 * @returns the work items processed
 * @internal
 */
export async function runCandleWork(pipeline: Pipeline, clock: ManualClock, candle: Candle, next: Candle | undefined, retries: ScheduledRetries): Promise<number> {
  const closeMs = candleCloseMs(candle);
  const nextCloseMs = next === undefined ? closeMs + (closeMs - candle.startMs) : Math.max(closeMs, candleCloseMs(next));
  let processed = await pipeline.runUntilIdle();
  for (let round = 0; round < MAX_RETRY_ROUNDS; round += 1) {
    const dueMs = retries.next(clock.nowMs());
    if (dueMs >= nextCloseMs) break;
    clock.set(dueMs);
    processed += await pipeline.runUntilIdle();
  }
  return processed;
}

/**
 * Replays closed candles through a pipeline as if they arrived live, for backtests and demos: for each
 * candle, oldest first, the manual clock moves to the candle's close, the candle is stored, and the pipeline
 * runs until idle. The pipeline and the store must share `clock`. (Storing a whole history at once and
 * running the pipeline afterwards trades nothing: a signal on a candle that closed long before "now" is stale
 * and makes no recommendation.) A retry a failure schedules before the next candle would close runs at its time
 * (the clock moved to it), as live. Feature checkpoints are saved every `checkpointEveryCandles` and at the end.
 * This is the reference mode; `replayCandlesBatched` gives the same records much faster.
 * A candle whose bucket the store already holds with other values is refused by the store (the stored one stands):
 * the replay goes on, counts it in `conflicts` and warns on the pipeline's logger, naming the first.
 * @param input.onCandle called after each candle's work, e.g. to print progress or stop early by throwing
 * @returns how many candles were replayed, how many work items the pipeline processed, and how many candles the
 * store refused for conflicting with a stored one
 * @throws TradepipeError `pipeline_invalid` if the pipeline's and the store's clocks disagree
 * @example
 * const clock = createManualClock(history.at(-1)!.startMs + 86_400_000);
 * const store = createMemoryStore({ clock });
 * await store.putCandles(history, { state: 'DONE' }); // warm-up only
 * const pipeline = createPipeline({ pipelineId: 'backtest', store, clock, features, model, validator, risk, executor });
 * await replayCandles({ pipeline, store, clock, candles: holdOut });
 */
export async function replayCandles(input: {
  readonly pipeline: Pipeline;
  readonly store: PipelineStore;
  readonly clock: ManualClock;
  readonly candles: readonly Candle[];
  readonly onCandle?: (candle: Candle, itemsProcessed: number) => void | Promise<void>;
}): Promise<{ readonly candles: number; readonly itemsProcessed: number; readonly conflicts: number }> {
  const ordered = [...input.candles].sort((a, b) => a.startMs - b.startMs);
  let itemsProcessed = 0;
  let conflicts = 0;
  const retries = new ScheduledRetries(input.pipeline);
  try {
    for (let index = 0; index < ordered.length; index += 1) {
      const candle = ordered[index]!;
      input.clock.set(Math.max(input.clock.nowMs(), candleCloseMs(candle)));
      const put = await input.store.putCandles([candle]);
      if (put.conflicts.length > 0) {
        // Not silent: the candle the caller gave was not the one replayed (the store's stands).
        if (conflicts === 0) replayAccessOf(input.pipeline).runtime.logger.warn('replayed candle conflicts with a stored one; the stored candle stands', { productId: candle.productId, granularity: candle.granularity, startMs: candle.startMs });
        conflicts += put.conflicts.length;
      }
      const processed = await runCandleWork(input.pipeline, input.clock, candle, ordered[index + 1], retries);
      itemsProcessed += processed;
      await input.onCandle?.(candle, processed);
    }
  } finally {
    retries.dispose();
  }
  await checkpointFeatures(input.pipeline);
  if (conflicts > 1) replayAccessOf(input.pipeline).runtime.logger.warn('replayed candles conflicted with stored ones', { conflicts });
  return { candles: ordered.length, itemsProcessed, conflicts };
}
