import { describe, expect, it } from 'vitest';
import { quantileOfSorted, sampleStandardDeviation, sharpeRatio, simpleReturns, sortinoRatio } from './statistics.js';

describe('return statistics', () => {
  it('annualises the Sharpe ratio with √365 and the sample deviation (computed by hand)', () => {
    // mean 0.0083333; deviations 0.0016667, −0.0133333, 0.0116667; Σ² = 0.00031667; /2 → sd 0.0125831
    // 0.0083333 / 0.0125831 × √365 (19.104973) = 12.6526
    expect(sampleStandardDeviation([0.01, -0.005, 0.02])).toBeCloseTo(0.0125831, 6);
    expect(sharpeRatio([0.01, -0.005, 0.02], 365)).toBeCloseTo(12.6526, 3);
    // Monthly returns annualise with √12 instead.
    expect(sharpeRatio([0.01, -0.005, 0.02], 12)).toBeCloseTo((0.0083333 / 0.0125831) * Math.sqrt(12), 3);
  });

  it('annualises the Sortino ratio over the downside deviation of all returns (computed by hand)', () => {
    // mean 0.005; downside √((0.0001 + 0.0001) / 4) = 0.00707107; 0.707107 × 19.104973 = 13.5093
    expect(sortinoRatio([0.02, -0.01, 0.02, -0.01], 365)).toBeCloseTo(13.5093, 3);
  });

  it('says a ratio is not defined rather than inventing one', () => {
    expect(sharpeRatio([0.01], 365)).toBeUndefined();
    expect(sharpeRatio([0.01, 0.01, 0.01], 365)).toBeUndefined();
    expect(sortinoRatio([0.01, 0.02], 365)).toBeUndefined();
    expect(sharpeRatio([], 365)).toBeUndefined();
  });

  it('takes simple returns and skips steps from zero', () => {
    expect(simpleReturns([100, 110, 99])).toEqual([expect.closeTo(0.1, 12), expect.closeTo(-0.1, 12)]);
    expect(simpleReturns([100, 0, 50])).toEqual([-1]);
  });

  it('interpolates quantiles', () => {
    expect(quantileOfSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileOfSorted([1, 2, 3, 4], 0)).toBe(1);
    expect(quantileOfSorted([1, 2, 3, 4], 1)).toBe(4);
    expect(quantileOfSorted([], 0.5)).toBeUndefined();
  });
});
