import { parseWith } from '@tradepipe/core';
import { z } from 'zod';
import { RiskScoreWeightsSchema } from './score.js';
import { MIN_VOLATILITY_WINDOW_BARS, volatilityWindowBars } from './volatility.js';

const money = z.number().finite().positive();

/**
 * zod schema of the risk limits, validated when the risk manager is created. Amounts are quote currency
 * (e.g. USD) as numbers: they bound estimates, and the order sizes themselves stay decimal strings.
 * Each limit has its own REJECT reason code (see the README's table).
 * @example
 * const limits = RiskLimitsSchema.parse({ maxOrderQuote: 500, maxPositionQuote: 2_000, maxTotalExposureQuote: 5_000,
 *   maxPortfolioHeat: 0.25, maxDailyLossFraction: 0.05, maxOrdersPerHour: 20 });
 */
export const RiskLimitsSchema = z
  .object({
    /** `max_order_amount`: the most one BUY may spend. */
    maxOrderQuote: money,
    /** `max_position`: the most one product may hold (size × mark + in-flight BUY reservations). */
    maxPositionQuote: money,
    /** `max_total_exposure`: the most all products together may hold. */
    maxTotalExposureQuote: money,
    /** `max_portfolio_heat`: the most heat (Σ notional × σ / equity) after a BUY. */
    maxPortfolioHeat: z.number().finite().positive(),
    /** `max_daily_loss`: the loss since 00:00 UTC, as a fraction of the day-start equity, that stops opening. */
    maxDailyLossFraction: z.number().finite().positive().max(1),
    /** `max_daily_loss`: the same as an absolute amount; the smaller of the two applies. */
    maxDailyLossQuote: money.optional(),
    /** `cooldown`: how long opening stays refused after the daily loss limit is hit. */
    cooldownMs: z.number().int().nonnegative().default(4 * 3_600_000),
    /** `max_orders_per_hour`: orders created in the last hour at which opening stops. */
    maxOrdersPerHour: z.number().int().nonnegative(),
    /** `min_order_size`: our own minimum order, on top of the product's `quoteMinSize`/`baseMinSize`. */
    minOrderQuote: z.number().finite().nonnegative().default(0),
    /** `stale_data`: the longest time since the last candle closed; default two candles of the recommendation's granularity. */
    maxCandleAgeMs: z.number().int().positive().optional(),
    /**
     * The realised volatility window, in days of candles: at least {@link MIN_VOLATILITY_WINDOW_BARS} one-minute
     * candles (5 minutes). A granularity whose window holds fewer candles than that gives no volatility: BUYs are
     * refused `insufficient_data`.
     */
    volatilityWindowDays: z
      .number()
      .finite()
      .positive()
      .refine((days) => volatilityWindowBars(days, 'ONE_MINUTE') >= MIN_VOLATILITY_WINDOW_BARS, {
        message: `volatilityWindowDays must hold at least ${MIN_VOLATILITY_WINDOW_BARS} candles even of ONE_MINUTE (${MIN_VOLATILITY_WINDOW_BARS} minutes)`,
      })
      .default(14),
    /** `insufficient_data`: the fewest log returns a volatility may rest on (capped at the window's bars: 14 for daily candles). */
    minVolatilityReturns: z.number().int().min(2).default(20),
    /** The volatility assumed for a held product without enough candles (heat of positions only). */
    fallbackVolatilityAnnualized: z.number().finite().positive().default(1.5),
    /** Sizing: the heat one BUY may add at most before scaling, so `amount ≤ equity × budget / σ`. */
    heatBudgetPerTrade: z.number().finite().positive().default(0.02),
    /** Score: the volatility that counts as fully risky. */
    volatilityCeiling: z.number().finite().positive().default(2),
    /** Score: component weights. */
    scoreWeights: RiskScoreWeightsSchema.prefault({}),
  })
  .strict();

/** Risk limits as written in config (defaults optional). */
export interface RiskLimitsInput extends z.input<typeof RiskLimitsSchema> {}

/** Validated risk limits; see {@link RiskLimitsSchema}. */
export interface RiskLimits extends z.output<typeof RiskLimitsSchema> {}

/**
 * Validates risk limits (config, env) with {@link RiskLimitsSchema}.
 * @returns the limits with defaults filled in
 * @throws TradepipeError `validation_failed` naming the offending paths.
 * @example
 * const limits = parseRiskLimits({ maxOrderQuote: 500, maxPositionQuote: 2_000, maxTotalExposureQuote: 5_000,
 *   maxPortfolioHeat: 0.25, maxDailyLossFraction: 0.05, maxOrdersPerHour: 20 });
 */
export function parseRiskLimits(input: unknown): RiskLimits {
  return parseWith(RiskLimitsSchema, input, 'risk limits');
}

/**
 * The loss that trips the daily loss limit: `min(maxDailyLossFraction × dayStartEquity, maxDailyLossQuote)`.
 * @returns the loss in quote currency (0 when the day-start equity is not positive)
 * @example
 * dailyLossLimitQuote(parseRiskLimits({ ...limits, maxDailyLossFraction: 0.05 }), 10_000); // 500
 */
export function dailyLossLimitQuote(limits: Pick<RiskLimits, 'maxDailyLossFraction' | 'maxDailyLossQuote'>, dayStartEquityQuote: number): number {
  const fromFraction = Math.max(0, dayStartEquityQuote) * limits.maxDailyLossFraction;
  return limits.maxDailyLossQuote === undefined ? fromFraction : Math.min(fromFraction, limits.maxDailyLossQuote);
}
