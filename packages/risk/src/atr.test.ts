import { ATR } from 'technicalindicators';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { averageTrueRange } from './atr.js';

const bars = [
  { high: 10, low: 8, close: 9 },
  { high: 11, low: 9, close: 10 },
  { high: 12, low: 9.5, close: 11 },
  { high: 11.5, low: 10, close: 10.5 },
  { high: 13, low: 10.5, close: 12.5 },
];

describe('averageTrueRange', () => {
  it('matches a hand computation', () => {
    // TR: 2, 2.5, 1.5, 2.5; first ATR(3) = (2 + 2.5 + 1.5) / 3 = 2; then (2 × 2 + 2.5) / 3 = 2.1666…
    expect(averageTrueRange(bars.slice(0, 4), 3)).toBeCloseTo(2, 12);
    expect(averageTrueRange(bars, 3)).toBeCloseTo(6.5 / 3, 12);
    expect(averageTrueRange(bars.slice(0, 3), 3)).toBeUndefined();
    expect(() => averageTrueRange(bars, 0)).toThrow();
  });

  it('agrees with technicalindicators ATR (fast-check, seed 8106)', () => {
    const bar = fc.record({ low: fc.double({ min: 1, max: 1000, noNaN: true }), spread: fc.double({ min: 0, max: 50, noNaN: true }), at: fc.double({ min: 0, max: 1, noNaN: true }) });
    fc.assert(
      fc.property(fc.array(bar, { minLength: 6, maxLength: 60 }), fc.integer({ min: 1, max: 5 }), (raw, period) => {
        const candles = raw.map(({ low, spread, at }) => ({ high: low + spread, low, close: low + spread * at }));
        const reference = ATR.calculate({ high: candles.map((c) => c.high), low: candles.map((c) => c.low), close: candles.map((c) => c.close), period });
        expect(averageTrueRange(candles, period)).toBeCloseTo(reference.at(-1)!, 6);
      }),
      { seed: 8106, numRuns: 200 },
    );
  });
});
