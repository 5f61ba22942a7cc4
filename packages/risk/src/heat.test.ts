import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RECORDED_HEAT, heatContribution, portfolioHeat } from './heat.js';

describe('portfolioHeat', () => {
  it('matches a hand computation', () => {
    // (1000 × 0.5 + 500 × 0.8) / 10000 = (500 + 400) / 10000 = 0.09
    expect(portfolioHeat([{ notionalQuote: 1000, volatilityAnnualized: 0.5 }, { notionalQuote: 500, volatilityAnnualized: 0.8 }], 10_000)).toBeCloseTo(0.09, 12);
    expect(heatContribution({ notionalQuote: 1000, volatilityAnnualized: 0.5 })).toBe(500);
  });

  it('is 0 with nothing held and the cap when equity is not positive', () => {
    expect(portfolioHeat([], 0)).toBe(0);
    expect(portfolioHeat([{ notionalQuote: 10, volatilityAnnualized: 0.5 }], 0)).toBe(MAX_RECORDED_HEAT);
    expect(() => portfolioHeat([{ notionalQuote: 10, volatilityAnnualized: -1 }], 100)).toThrow();
  });

  it('never falls when exposure is added (fast-check, seed 8102)', () => {
    const exposure = fc.record({ notionalQuote: fc.double({ min: 0, max: 1e7, noNaN: true }), volatilityAnnualized: fc.double({ min: 0, max: 5, noNaN: true }) });
    fc.assert(
      fc.property(fc.array(exposure, { maxLength: 30 }), exposure, fc.double({ min: 1, max: 1e8, noNaN: true }), (exposures, extra, equity) => {
        expect(portfolioHeat([...exposures, extra], equity)).toBeGreaterThanOrEqual(portfolioHeat(exposures, equity));
      }),
      { seed: 8102, numRuns: 300 },
    );
  });
});
