import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { circularShiftSignificance } from './significance.js';

fc.configureGlobal({ seed: 20261206, numRuns: 50 });

/** A deterministic pseudo-random return series (a linear congruential generator), mean about 0. */
function returnsSeries(length: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state / 2 ** 31 - 0.5) * 0.04;
  });
}

describe('circular-shift significance', () => {
  it('finds perfect timing significant and is deterministic', () => {
    const assetReturns = returnsSeries(300, 7);
    const positions = assetReturns.map((value) => (value > 0 ? 1 : 0)); // in exactly on the up days: foresight
    const result = circularShiftSignificance({ positions, assetReturns, periodsPerYear: 365 });
    expect(result.shifts).toBe(299);
    expect(result.pValue).toBeCloseTo(1 / 300, 12); // no shift does as well
    expect(result.sharpe!).toBeGreaterThan(result.medianShiftedSharpe!);
    expect(circularShiftSignificance({ positions, assetReturns, periodsPerYear: 365 })).toEqual(result);
  });

  it('finds always-in no better than its shifts', () => {
    const assetReturns = returnsSeries(100, 3);
    const result = circularShiftSignificance({ positions: assetReturns.map(() => 1), assetReturns, periodsPerYear: 365 });
    expect(result.pValue).toBe(1); // every shift is the same series
  });

  it('samples evenly when there are more shifts than asked', () => {
    const assetReturns = returnsSeries(500, 11);
    const positions = assetReturns.map((_, index) => (index % 7 < 3 ? 1 : 0));
    expect(circularShiftSignificance({ positions, assetReturns, periodsPerYear: 365, maxShifts: 50 }).shifts).toBe(50);
  });

  it('charges the fee on position changes', () => {
    const assetReturns = returnsSeries(200, 5);
    const positions = assetReturns.map((value) => (value > 0 ? 1 : 0));
    const free = circularShiftSignificance({ positions, assetReturns, periodsPerYear: 365 });
    const costly = circularShiftSignificance({ positions, assetReturns, periodsPerYear: 365, feeRate: 0.05 });
    expect(costly.sharpe!).toBeLessThan(free.sharpe!);
  });

  it('refuses series that do not line up', () => {
    expect(() => circularShiftSignificance({ positions: [1, 0, 1], assetReturns: [0.1, 0.2], periodsPerYear: 365 })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(() => circularShiftSignificance({ positions: [1, 0, Number.NaN], assetReturns: [0.1, 0.2, 0.3], periodsPerYear: 365 })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });

  it('gives a p-value in (0, 1] (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 0.5, 1), { minLength: 3, maxLength: 60 }), fc.integer({ min: 1, max: 1000 }), (positions, seed) => {
        const { pValue } = circularShiftSignificance({ positions, assetReturns: returnsSeries(positions.length, seed), periodsPerYear: 365 });
        return pValue > 0 && pValue <= 1;
      }),
    );
  });
});
