import { TradepipeError, barsPerDay, type Granularity } from '@tradepipe/core';

/**
 * Days in a year of a market that trades 24/7 (crypto): used to annualise.
 * @example
 * Math.sqrt(TRADING_DAYS_PER_YEAR * 24); // annualisation factor of hourly candles ≈ 93.59
 */
export const TRADING_DAYS_PER_YEAR = 365;

/**
 * The fewest candles a volatility window may hold (5). The sample standard deviation of n returns is off by
 * about 1/√(2(n − 1)) of itself: 35 % at 5 returns, 50 % at 3, 71 % at 2, too rough to size or refuse a trade on.
 * `RiskLimitsSchema` refuses a `volatilityWindowDays` that holds fewer even of one-minute candles; at a coarser
 * granularity that holds fewer (e.g. 2 days of daily candles), there is no volatility and every BUY is a REJECT
 * `insufficient_data` saying so.
 * @example
 * volatilityWindowBars(14, 'ONE_DAY') >= MIN_VOLATILITY_WINDOW_BARS; // true
 */
export const MIN_VOLATILITY_WINDOW_BARS = 5;

/**
 * The candles (returns) a volatility window of `windowDays` holds at a granularity: `round(windowDays × barsPerDay)`.
 * No floor: a window shorter than {@link MIN_VOLATILITY_WINDOW_BARS} gives no volatility rather than a two-candle one.
 * @example
 * volatilityWindowBars(14, 'ONE_DAY'); // 14
 * volatilityWindowBars(1, 'ONE_HOUR'); // 24
 */
export function volatilityWindowBars(windowDays: number, granularity: Granularity): number {
  return Math.round(windowDays * barsPerDay(granularity));
}

/**
 * The log returns of a series of closes: `rᵢ = ln(cᵢ / cᵢ₋₁)` for i = 1…n−1.
 * @param closes closing prices, oldest first, all positive
 * @returns n−1 log returns (empty for fewer than two closes)
 * @throws TradepipeError `validation_failed` if a close is not a positive finite number.
 * @example
 * logReturns([100, 110, 99]); // [ln(1.1), ln(0.9)] ≈ [0.09531, -0.10536]
 */
export function logReturns(closes: readonly number[]): number[] {
  const returns: number[] = [];
  for (let index = 0; index < closes.length; index += 1) {
    const close = closes[index]!;
    if (!(close > 0) || !Number.isFinite(close)) {
      throw new TradepipeError('validation_failed', 'A close is not a positive finite number', { details: { index } });
    }
    if (index > 0) returns.push(Math.log(close / closes[index - 1]!));
  }
  return returns;
}

/**
 * The factor that annualises a per-bar standard deviation for a 24/7 market: `√(365 × barsPerDay)`.
 * @param barsPerDay candles per day (1,440 for one-minute candles, 1 for daily)
 * @returns the annualisation factor
 * @throws TradepipeError `validation_failed` if `barsPerDay` is not positive.
 * @example
 * annualizationFactor(1); // √365 ≈ 19.105
 */
export function annualizationFactor(barsPerDay: number): number {
  if (!(barsPerDay > 0) || !Number.isFinite(barsPerDay)) {
    throw new TradepipeError('validation_failed', 'barsPerDay must be a positive number');
  }
  return Math.sqrt(TRADING_DAYS_PER_YEAR * barsPerDay);
}

/**
 * Annualised realised volatility of a series of closes:
 * `σ = √( Σ (rᵢ − r̄)² / (n − 1) ) × √(365 × barsPerDay)` over the n log returns `rᵢ = ln(cᵢ / cᵢ₋₁)`
 * (sample standard deviation, Bessel-corrected, computed in one pass with Welford's method). The caller picks the window (14 days of candles by default
 * in the risk manager); every close given is used, so pass only candles closed at the decision time.
 * @param closes closing prices, oldest first
 * @param barsPerDay candles per day of the series' granularity
 * @returns volatility as a fraction per year (0.55 = 55 %/year)
 * @throws TradepipeError `not_ready` with fewer than three closes (two returns); `validation_failed` on a bad close.
 * @example
 * realizedVolatility([100, 110, 99], 1); // ≈ 2.7109 (returns 0.09531 and −0.10536, sd 0.14190, × √365)
 */
export function realizedVolatility(closes: ArrayLike<number>, barsPerDay: number): number {
  return logReturnStatistics(closes, barsPerDay).volatilityAnnualized;
}

/**
 * One pass over a series of closes, allocating nothing: the annualised volatility (Welford's running mean and
 * sum of squared deviations, numerically stable) and the plain sums Σr and Σr² that a sliding window keeps.
 * @internal
 */
export function logReturnStatistics(closes: ArrayLike<number>, barsPerDay: number): { volatilityAnnualized: number; sum: number; sumSquares: number } {
  const factor = annualizationFactor(barsPerDay);
  if (closes.length < 3) {
    throw new TradepipeError('not_ready', 'Realised volatility needs at least three closes', { details: { closes: closes.length } });
  }
  let previous = closes[0]!;
  let sum = 0;
  let sumSquares = 0;
  let mean = 0;
  let squaredDeviations = 0;
  for (let index = 0; index < closes.length; index += 1) {
    const close = closes[index]!;
    if (!(close > 0) || !Number.isFinite(close)) {
      throw new TradepipeError('validation_failed', 'A close is not a positive finite number', { details: { index } });
    }
    if (index > 0) {
      const value = Math.log(close / previous);
      sum += value;
      sumSquares += value * value;
      const delta = value - mean;
      mean += delta / index;
      squaredDeviations += delta * (value - mean);
    }
    previous = close;
  }
  return { volatilityAnnualized: Math.sqrt(Math.max(0, squaredDeviations) / (closes.length - 2)) * factor, sum, sumSquares };
}
