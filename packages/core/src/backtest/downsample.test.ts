import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { downsampleMinMax, mergeCandles } from './downsample.js';
import { dailyCandle } from './test-helpers.js';

fc.configureGlobal({ seed: 20261206, numRuns: 200 });

describe('downsampling for charts', () => {
  it('merges candles keeping every extreme', () => {
    const candles = [dailyCandle(0, 10, 12), dailyCandle(1, 12, 8), dailyCandle(2, 8, 9), dailyCandle(3, 9, 15), dailyCandle(4, 15, 14)];
    const { bars, factor } = mergeCandles(candles, 2);
    expect(factor).toBe(3);
    expect(bars).toEqual([
      { atMs: candles[0]!.startMs, open: 10, high: 12, low: 8, close: 9 },
      { atMs: candles[3]!.startMs, open: 9, high: 15, low: 9, close: 14 },
    ]);
    expect(mergeCandles(candles, 10)).toEqual({ bars: candles.map(({ startMs, open, high, low, close }) => ({ atMs: startMs, open, high, low, close })), factor: 1 });
  });

  it('keeps the extremes, the ends and the kept times, within the budget (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 2000 }), fc.integer({ min: 4, max: 300 }), (values, maxPoints) => {
        const points = values.map((value, atMs) => ({ atMs, value }));
        const kept = downsampleMinMax(points, maxPoints, (point) => point.value, new Set([Math.floor(values.length / 3)]));
        const keptValues = kept.map((point) => point.value);
        return (
          kept.length <= Math.max(values.length <= maxPoints ? values.length : 0, maxPoints + 3) &&
          keptValues.includes(Math.min(...values)) &&
          keptValues.includes(Math.max(...values)) &&
          kept[0] === points[0] &&
          kept.at(-1) === points.at(-1) &&
          kept.some((point) => point.atMs === Math.floor(values.length / 3)) &&
          kept.every((point, index) => index === 0 || point.atMs > kept[index - 1]!.atMs)
        );
      }),
    );
  });
});
