import { GRANULARITIES, type BulkWrite, type Candle } from '@tradepipe/core';
import { testSignal } from '@tradepipe/core/testing';

/**
 * `count` closed 1-minute BTC-USD candles from `startMs`, each with a settled signal of 51 feature values (the size
 * the feature set makes), as one batched-replay write. For the bulk-write tests and their child processes.
 * @internal
 */
export function minuteCandlesWithSignals(startMs: number, count: number): BulkWrite {
  const candles: Candle[] = Array.from({ length: count }, (_, index) => {
    const open = 42_000 + (index % 1_000);
    return { productId: 'BTC-USD', granularity: 'ONE_MINUTE', startMs: startMs + index * GRANULARITIES.ONE_MINUTE, open, high: open + 5, low: open - 5, close: open + 1, volume: 3.5, gapFilled: false };
  });
  const signals = candles.map((candle, index) => {
    const signal = testSignal({ candleStartMs: candle.startMs, granularity: 'ONE_MINUTE', pipelineId: 'bulk' });
    const values = Array.from({ length: 51 }, (_, feature) => Math.sin(index * 51 + feature) * (feature + 1));
    return { record: { ...signal, features: { ...signal.features, values } }, state: 'DONE' as const };
  });
  return { candles, signals };
}
