// The history a dev stack starts with: the candles the features warm on, already in the store as a deployment
// that has been running holds them; market data backfills the last weeks before --from from the fake itself.
import { DEFAULT_GAP_POLICY, sequenceCandles, type Candle, type PipelineStore } from '@tradepipe/core';
import { WARMUP_CANDLES } from '@tradepipe/features';

/** Days before the replay's start that market data backfills from the fake exchange (the rest is seeded). */
export const DEV_BACKFILL_DAYS = 30;

const DAY_MS = 86_400_000;

/** The seeded history: the `WARMUP_CANDLES + 60` candles (gaps filled) that start before `fromMs − 30 days`. */
export function seedHistory(candles: readonly Candle[], fromMs: number): Candle[] {
  const endMs = fromMs - DEV_BACKFILL_DAYS * DAY_MS;
  return sequenceCandles(
    candles.filter((candle) => candle.startMs < endMs),
    DEFAULT_GAP_POLICY,
  ).slice(-(WARMUP_CANDLES + 60));
}

/** Puts the history into the store as processed (`DONE`): the signal stage warms its features on it. */
export async function seedStore(store: PipelineStore, history: readonly Candle[]): Promise<void> {
  await store.putCandles(history, { state: 'DONE' });
}
