// The HTML report of a year of 1-minute candles: under 5 MB, with every trade and the price extremes kept.
import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from './render-html-report.js';
import { randomWalkCandles, syntheticReport } from './synthetic-run.js';

describe('HTML report size', () => {
  it('stays under 5 MB for a year of 1-minute candles, trades and extremes kept', async () => {
    const candles = randomWalkCandles(365 * 1440, 'ONE_MINUTE');
    const report = await syntheticReport({ candles, tradeEvery: 600, holdFor: 240 });
    const html = renderHtmlReport(report);
    const sizeBytes = Buffer.byteLength(html, 'utf8');
    console.log(`report for ${candles.length} one-minute candles and ${report.executions.length} executions: HTML ${(sizeBytes / 1e6).toFixed(2)} MB, JSON ${(Buffer.byteLength(JSON.stringify(report)) / 1e6).toFixed(2)} MB`);
    expect(sizeBytes).toBeLessThan(5_000_000);
    const island = JSON.parse(html.match(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/)![1]!);
    expect(island.markers.times).toHaveLength(report.executions.length);
    const highest = candles.reduce((high, candle) => Math.max(high, candle.high), 0);
    const lowest = candles.reduce((low, candle) => Math.min(low, candle.low), Number.POSITIVE_INFINITY);
    expect(Math.max(...island.price.high)).toBeCloseTo(highest, 0);
    expect(Math.min(...island.price.low)).toBeCloseTo(lowest, 0);
    const strategy = island.equity[0];
    expect(Math.min(...strategy.values)).toBeCloseTo(report.series.equity.reduce((low, point) => Math.min(low, point.value), Number.POSITIVE_INFINITY), 1);
  }, 300_000);
});
