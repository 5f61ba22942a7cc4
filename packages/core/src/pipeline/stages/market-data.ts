// Box 1 of the design: market data. Closed candles from the source into the store (crypto_prices).
import type { MarketDataSource, SeriesKey, StageContext } from '../../interfaces.js';
import { GRANULARITIES } from '../../time.js';

/**
 * Market data collection: backfills each series from its last stored candle (or `backfillCandles` back),
 * then stores live closed candles as they arrive, until aborted. Conflicting candles are reported, never
 * overwritten.
 * @internal
 */
export async function runIngest(
  marketData: { readonly source: MarketDataSource; readonly series: readonly SeriesKey[]; readonly backfillCandles?: number },
  context: StageContext,
): Promise<void> {
  const { store, clock, logger, signal } = context;
  for (const series of marketData.series) {
    const stepMs = GRANULARITIES[series.granularity];
    const latest = await store.getLatestCandle(series.productId, series.granularity);
    const nowMs = clock.nowMs();
    const toStartMs = nowMs - (nowMs % stepMs);
    const fromStartMs = latest === undefined ? toStartMs - (marketData.backfillCandles ?? 300) * stepMs : latest.startMs + stepMs;
    for await (const page of marketData.source.backfill({ ...series, fromStartMs, toStartMs, signal })) {
      const result = await store.putCandles(page);
      if (result.conflicts.length > 0) logger.warn('candles conflict with stored ones; stored ones kept', { series, conflicts: result.conflicts.length });
    }
  }
  for await (const candle of marketData.source.subscribe({ series: marketData.series, signal })) {
    const result = await store.putCandles([candle]);
    if (result.conflicts.length > 0) logger.warn('live candle conflicts with a stored one; stored one kept', { productId: candle.productId, startMs: candle.startMs });
  }
}
