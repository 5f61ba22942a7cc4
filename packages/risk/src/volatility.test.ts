import { TradepipeError } from '@tradepipe/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { annualizationFactor, logReturns, realizedVolatility } from './volatility.js';

describe('realizedVolatility', () => {
  it('matches a hand computation on a small daily series', () => {
    // returns ln(1.1) = 0.0953102, ln(0.9) = −0.1053605; mean −0.0050252; deviations ±0.1003353;
    // sample variance 2 × 0.1003353² / 1 = 0.0201344; sd 0.1418958; × √365 (19.1049732) = 2.7109118
    expect(realizedVolatility([100, 110, 99], 1)).toBeCloseTo(2.7109118, 6);
  });

  it('annualises alternating ±1 % hourly returns as 0.01 × √(336/335) × √(365 × 24)', () => {
    const closes = Array.from({ length: 337 }, (_, index) => 50_000 * Math.exp(0.01 * (index % 2)));
    // 336 returns of ±0.01, mean 0: sample sd = 0.01 × √(336/335) = 0.0100149; × √8760 (93.5949) = 0.9373446
    expect(realizedVolatility(closes, 24)).toBeCloseTo(0.9373446, 6);
  });

  it('is zero for a constant series and refuses fewer than three closes', () => {
    expect(realizedVolatility([5, 5, 5, 5], 1)).toBe(0);
    expect(() => realizedVolatility([5, 6], 1)).toThrowError(expect.objectContaining({ code: 'not_ready' }) as TradepipeError);
    expect(() => realizedVolatility([5, 0, 6], 1)).toThrowError(expect.objectContaining({ code: 'validation_failed' }) as TradepipeError);
  });

  it('gives the log returns and the annualisation factor', () => {
    expect(logReturns([100, 110, 99])).toEqual([Math.log(1.1), Math.log(0.9)]);
    expect(annualizationFactor(1440)).toBeCloseTo(Math.sqrt(525_600), 9);
    expect(() => annualizationFactor(0)).toThrow(TradepipeError);
  });

  it('is non-negative and does not depend on the price level (fast-check, seed 8101)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 1e6, noNaN: true }), { minLength: 3, maxLength: 60 }),
        fc.double({ min: 0.001, max: 1000, noNaN: true }),
        (closes, scale) => {
          const volatility = realizedVolatility(closes, 24);
          expect(volatility).toBeGreaterThanOrEqual(0);
          const scaled = realizedVolatility(closes.map((close) => close * scale), 24);
          expect(Math.abs(scaled - volatility)).toBeLessThanOrEqual(1e-6 * Math.max(1, volatility));
        },
      ),
      { seed: 8101, numRuns: 200 },
    );
  });
});
