/** Days in the year used to annualise: crypto trades every day. */
export const DAYS_PER_YEAR = 365;

/** One UTC day in milliseconds. */
export const DAY_MS = 86_400_000;

/** The arithmetic mean; `undefined` for an empty series. */
export function meanOf(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** The sample standard deviation (n − 1); `undefined` with fewer than two values. */
export function sampleStandardDeviation(values: readonly number[]): number | undefined {
  const mean = meanOf(values);
  if (mean === undefined || values.length < 2) return undefined;
  let squares = 0;
  for (const value of values) squares += (value - mean) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/**
 * Simple returns of a value series: `values[i] / values[i − 1] − 1`. A step from a value at or below zero
 * has no return and is skipped (an account wiped out does not come back as a percentage).
 * @example
 * simpleReturns([100, 110, 99]); // [0.1, -0.1]
 */
export function simpleReturns(values: readonly number[]): number[] {
  const returns: number[] = [];
  for (let index = 1; index < values.length; index += 1) {
    const previous = values[index - 1]!;
    if (previous > 0) returns.push(values[index]! / previous - 1);
  }
  return returns;
}

/**
 * The annualised Sharpe ratio of periodic returns, risk-free rate 0: mean / sample standard deviation ×
 * √periodsPerYear (√365 for daily returns).
 * @returns `undefined` with fewer than two returns or no variation (the ratio is not defined)
 * @example
 * sharpeRatio([0.01, -0.005, 0.02], 365); // ≈ 12.65
 */
export function sharpeRatio(returns: readonly number[], periodsPerYear: number = DAYS_PER_YEAR): number | undefined {
  const mean = meanOf(returns);
  const deviation = sampleStandardDeviation(returns);
  if (mean === undefined || deviation === undefined || deviation === 0) return undefined;
  return (mean / deviation) * Math.sqrt(periodsPerYear);
}

/**
 * The annualised Sortino ratio of periodic returns, target 0: mean / downside deviation × √periodsPerYear,
 * where the downside deviation is √(Σ min(r, 0)² / n) over all n returns.
 * @returns `undefined` with fewer than two returns or no return below zero
 * @example
 * sortinoRatio([0.02, -0.01, 0.02, -0.01], 365); // = (0.005 / √0.00005) × √365 ≈ 13.5
 */
export function sortinoRatio(returns: readonly number[], periodsPerYear: number = DAYS_PER_YEAR): number | undefined {
  const mean = meanOf(returns);
  if (mean === undefined || returns.length < 2) return undefined;
  let downside = 0;
  for (const value of returns) if (value < 0) downside += value * value;
  if (downside === 0) return undefined;
  return (mean / Math.sqrt(downside / returns.length)) * Math.sqrt(periodsPerYear);
}

/** The value at quantile `q` (0…1) of sorted values, by linear interpolation; `undefined` when empty. */
export function quantileOfSorted(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const position = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}
