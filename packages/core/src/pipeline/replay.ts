import type { Candle } from '../records/market.js';
import { candleCloseMs } from '../records/market.js';
import type { PipelineStore } from '../store.js';
import type { ManualClock } from '../time.js';
import type { Pipeline } from './pipeline.js';
import { checkpointFeatures, replayAccessOf } from './replay-access.js';

/**
 * Replays closed candles through a pipeline as if they arrived live, for backtests and demos: for each
 * candle, oldest first, the manual clock moves to the candle's close, the candle is stored, and the pipeline
 * runs until idle. The pipeline and the store must share `clock`. (Storing a whole history at once and
 * running the pipeline afterwards trades nothing: a signal on a candle that closed long before "now" is stale
 * and makes no recommendation.) Feature checkpoints are saved every `checkpointEveryCandles` and at the end.
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
  for (const candle of ordered) {
    input.clock.set(Math.max(input.clock.nowMs(), candleCloseMs(candle)));
    const put = await input.store.putCandles([candle]);
    if (put.conflicts.length > 0) {
      // Not silent: the candle the caller gave was not the one replayed (the store's stands).
      if (conflicts === 0) replayAccessOf(input.pipeline).runtime.logger.warn('replayed candle conflicts with a stored one; the stored candle stands', { productId: candle.productId, granularity: candle.granularity, startMs: candle.startMs });
      conflicts += put.conflicts.length;
    }
    const processed = await input.pipeline.runUntilIdle();
    itemsProcessed += processed;
    await input.onCandle?.(candle, processed);
  }
  await checkpointFeatures(input.pipeline);
  if (conflicts > 1) replayAccessOf(input.pipeline).runtime.logger.warn('replayed candles conflicted with stored ones', { conflicts });
  return { candles: ordered.length, itemsProcessed, conflicts };
}
