import { TradepipeError } from '@tradepipe/core';

/** One holding as heat sees it: what it is worth now and how volatile it is. */
export interface HeatExposure {
  /** Size × current mark price, in quote currency (a pending BUY reservation counts with its quote amount). */
  readonly notionalQuote: number;
  /** Annualised realised volatility of the product (0.55 = 55 %/year). */
  readonly volatilityAnnualized: number;
}

/**
 * The heat recorded when equity is zero or negative while something is held: the record stays finite.
 * @example
 * portfolioHeat([{ notionalQuote: 10, volatilityAnnualized: 0.5 }], 0) === MAX_RECORDED_HEAT; // true
 */
export const MAX_RECORDED_HEAT = 1_000_000;

/**
 * Portfolio heat: `H = Σ |notionalᵢ| × σᵢ / equity`, the expected one-standard-deviation yearly move of what
 * is held, as a fraction of equity. With nothing held it is 0; with equity ≤ 0 and something held it is
 * {@link MAX_RECORDED_HEAT} (no room for any new exposure).
 * @param exposures the open positions at current prices (and in-flight BUY reservations)
 * @param equityQuote total equity in quote currency
 * @returns heat, ≥ 0
 * @throws TradepipeError `validation_failed` if a notional or volatility is negative or not finite.
 * @example
 * portfolioHeat([{ notionalQuote: 1000, volatilityAnnualized: 0.5 }, { notionalQuote: 500, volatilityAnnualized: 0.8 }], 10_000);
 * // (1000 × 0.5 + 500 × 0.8) / 10000 = 0.09
 */
export function portfolioHeat(exposures: readonly HeatExposure[], equityQuote: number): number {
  let total = 0;
  for (const exposure of exposures) total += heatContribution(exposure);
  if (total === 0) return 0;
  if (!(equityQuote > 0)) return MAX_RECORDED_HEAT;
  return Math.min(total / equityQuote, MAX_RECORDED_HEAT);
}

/**
 * One holding's share of heat before dividing by equity: `|notional| × σ`.
 * @returns the contribution in quote currency per year
 * @throws TradepipeError `validation_failed` if a figure is negative or not finite.
 * @example
 * heatContribution({ notionalQuote: 1000, volatilityAnnualized: 0.5 }); // 500
 */
export function heatContribution(exposure: HeatExposure): number {
  const { notionalQuote, volatilityAnnualized } = exposure;
  if (!Number.isFinite(notionalQuote) || !Number.isFinite(volatilityAnnualized) || volatilityAnnualized < 0) {
    throw new TradepipeError('validation_failed', 'Heat needs a finite notional and a finite, non-negative volatility');
  }
  return Math.abs(notionalQuote) * volatilityAnnualized;
}
