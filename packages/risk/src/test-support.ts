/**
 * Shared fixtures of this package's tests (not exported by the package).
 * @internal
 */
import {
  createManualClock,
  createMemoryStore,
  decimal,
  granularityMs,
  silentLogger,
  type Candle,
  type Granularity,
  type ManualClock,
  type PipelineStore,
  type StageContext,
} from '@tradepipe/core';
import { testProduct } from '@tradepipe/core/testing';

/** 2025-01-15T00:00:00Z: fourteen days after the fixtures' start. */
export const NOW_MS = Date.UTC(2025, 0, 15);

/**
 * Candles whose closes alternate `base` and `base × e^step`, so every log return is ±step; the last one
 * closes exactly at `endMs`.
 * @internal
 */
export function alternatingCandles(options: { productId: string; granularity?: Granularity; count: number; endMs: number; base: number; step?: number }): Candle[] {
  const granularity = options.granularity ?? 'ONE_HOUR';
  const stepMs = granularityMs(granularity);
  const firstStartMs = options.endMs - options.count * stepMs;
  const candles: Candle[] = [];
  for (let index = 0; index < options.count; index += 1) {
    const close = options.base * Math.exp((options.step ?? 0.01) * (index % 2));
    candles.push({ productId: options.productId, granularity, startMs: firstStartMs + index * stepMs, open: close, high: close, low: close, close, volume: 1, gapFilled: false });
  }
  return candles;
}

/**
 * A memory store on a manual clock at {@link NOW_MS}, with BTC-USD and ETH-USD, 14 days + 1 of hourly candles each,
 * and USD 10,000. With `storeAheadMs`, the store reads its own clock that far past the context's (decisions stay at
 * NOW_MS), so that it can hold candles closing after the decision time: a store takes only closed candles.
 */
export async function createRiskFixture(options: { usd?: string; storeAheadMs?: number } = {}): Promise<{ store: PipelineStore; clock: ManualClock; context: StageContext }> {
  const clock = createManualClock(NOW_MS);
  const store = createMemoryStore({ clock: options.storeAheadMs === undefined ? clock : createManualClock(NOW_MS + options.storeAheadMs) });
  await store.putProduct(testProduct());
  await store.putProduct(testProduct({ productId: 'ETH-USD', baseCurrency: 'ETH' }));
  await store.putCandles(alternatingCandles({ productId: 'BTC-USD', count: 337, endMs: NOW_MS, base: 50_000 }), { state: 'DONE' });
  await store.putCandles(alternatingCandles({ productId: 'ETH-USD', count: 337, endMs: NOW_MS, base: 2_000, step: 0.02 }), { state: 'DONE' });
  await store.putBalances([{ currency: 'USD', available: decimal(options.usd ?? '10000'), hold: decimal('0'), updatedAtMs: NOW_MS }]);
  const context: StageContext = { pipelineId: 'test', clock, logger: silentLogger, signal: new AbortController().signal, store };
  return { store, clock, context };
}
