import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adjustedAmount, capAmount } from './sizing.js';

describe('adjustedAmount', () => {
  it('matches a hand computation', () => {
    // volatility target 10000 × 0.02 / 0.5 = 400; min(100, 400) = 100; scale (1 − 0.3) × (1 − 0.05/0.25) = 0.7 × 0.8 = 0.56
    const result = adjustedAmount({ requestedQuote: 100, equityQuote: 10_000, volatilityAnnualized: 0.5, heatBudgetPerTrade: 0.02, riskScore: 0.3, portfolioHeat: 0.05, maxPortfolioHeat: 0.25 });
    expect(result.volatilityTargetQuote).toBeCloseTo(400, 9);
    expect(result.scale).toBeCloseTo(0.56, 12);
    expect(result.amountQuote).toBeCloseTo(56, 9);
  });

  it('takes the volatility target when it is below the request', () => {
    // target 10000 × 0.02 / 2 = 100 < 500; score 0, heat 0: amount 100
    expect(adjustedAmount({ requestedQuote: 500, equityQuote: 10_000, volatilityAnnualized: 2, heatBudgetPerTrade: 0.02, riskScore: 0, portfolioHeat: 0, maxPortfolioHeat: 0.25 }).amountQuote).toBeCloseTo(100, 9);
  });

  it('is never negative and never above the request (fast-check, seed 8104)', () => {
    const any = fc.double({ min: -1e9, max: 1e9, noNaN: true });
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), any, any, any, any, any, any, (requestedQuote, equityQuote, volatilityAnnualized, heatBudgetPerTrade, riskScore, portfolioHeat, maxPortfolioHeat) => {
        const { amountQuote } = adjustedAmount({ requestedQuote, equityQuote, volatilityAnnualized, heatBudgetPerTrade, riskScore, portfolioHeat, maxPortfolioHeat });
        expect(amountQuote).toBeGreaterThanOrEqual(0);
        expect(amountQuote).toBeLessThanOrEqual(requestedQuote);
      }),
      { seed: 8104, numRuns: 300 },
    );
  });
});

describe('capAmount', () => {
  it('reports the tightest cap below the amount', () => {
    expect(capAmount(56, [{ code: 'a', roomQuote: 80 }, { code: 'b', roomQuote: 50 }])).toEqual({ amountQuote: 50, binding: { code: 'b', roomQuote: 50 } });
    expect(capAmount(56, [{ code: 'a', roomQuote: 80 }])).toEqual({ amountQuote: 56 });
    expect(capAmount(56, [{ code: 'a', roomQuote: -5 }])).toEqual({ amountQuote: 0, binding: { code: 'a', roomQuote: -5 } });
  });
});
