import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RiskScoreWeightsSchema, riskScore } from './score.js';

describe('riskScore', () => {
  it('matches a hand computation', () => {
    // components: 0.6/2 = 0.3, 0.05/0.25 = 0.2, 100/500 = 0.2, 2000/10000 = 0.2
    // 0.4 × 0.3 + 0.3 × 0.2 + 0.2 × 0.2 + 0.1 × 0.2 = 0.12 + 0.06 + 0.04 + 0.02 = 0.24
    const result = riskScore({
      volatilityAnnualized: 0.6,
      volatilityCeiling: 2,
      portfolioHeat: 0.05,
      maxPortfolioHeat: 0.25,
      dailyPnlQuote: -100,
      maxDailyLossQuote: 500,
      exposureQuote: 2000,
      maxTotalExposureQuote: 10_000,
    });
    expect(result.score).toBeCloseTo(0.24, 12);
    expect(result.components).toEqual({ volatility: 0.3, heat: 0.2, dailyLoss: 0.2, exposure: 0.2 });
  });

  it('ignores gains, normalises weights and refuses all-zero weights', () => {
    const inputs = { volatilityAnnualized: 4, volatilityCeiling: 2, portfolioHeat: 0, maxPortfolioHeat: 0.25, dailyPnlQuote: 300, maxDailyLossQuote: 500, exposureQuote: 0, maxTotalExposureQuote: 1 };
    expect(riskScore(inputs, { volatility: 2, heat: 0, dailyLoss: 0, exposure: 0 }).score).toBe(1);
    expect(riskScore(inputs).components.dailyLoss).toBe(0);
    expect(RiskScoreWeightsSchema.safeParse({ volatility: 0, heat: 0, dailyLoss: 0, exposure: 0 }).success).toBe(false);
  });

  it('stays in [0, 1] (fast-check, seed 8103)', () => {
    const figure = fc.double({ min: -1e9, max: 1e9, noNaN: true });
    fc.assert(
      fc.property(fc.tuple(figure, figure, figure, figure, figure, figure, figure, figure), (values) => {
        const [a, b, c, d, e, f, g, h] = values;
        const { score } = riskScore({ volatilityAnnualized: a, volatilityCeiling: b, portfolioHeat: c, maxPortfolioHeat: d, dailyPnlQuote: e, maxDailyLossQuote: f, exposureQuote: g, maxTotalExposureQuote: h });
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(1);
      }),
      { seed: 8103, numRuns: 300 },
    );
  });
});
