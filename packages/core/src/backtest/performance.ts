import { TradepipeError } from '../errors.js';
import { drawdownSeries, resampleToUtcDays, type EquityPoint } from './equity-curve.js';
import { matchRoundTrips, type RoundTrip, type TradeExecution } from './round-trips.js';
import { DAYS_PER_YEAR, DAY_MS, meanOf, sharpeRatio, simpleReturns, sortinoRatio } from './statistics.js';

/** The deepest fall of equity from a running peak, and how long it lasted. */
export interface MaxDrawdown {
  /** The fall as a fraction of the peak (0.25 = a quarter lost); 0 when equity never fell. */
  readonly depthFraction: number;
  /** When equity stood at the peak the max drawdown fell from, epoch ms; `null` when equity never fell. */
  readonly peakAtMs: number | null;
  /** When the max drawdown was deepest, epoch ms; `null` when equity never fell. */
  readonly troughAtMs: number | null;
  /** When equity first got back to the peak; `null` if it had not by the end. */
  readonly recoveredAtMs: number | null;
  /** From the peak to the recovery, or to the last point if not recovered. */
  readonly durationMs: number;
  /** The longest time spent below a previous peak, in any drawdown. */
  readonly longestUnderwaterMs: number;
}

/**
 * What a backtest (or a baseline) achieved. Ratios use equity resampled to UTC days, a 365-day year, √365 and a
 * risk-free rate of 0. `null` marks a figure that is not defined on the data (no losing trade for a profit factor,
 * no variation for a Sharpe ratio), never a made-up number.
 */
export interface PerformanceMetrics {
  /** Equity at the first point, quote currency (0 without points). */
  readonly startEquityQuote: number;
  /** Equity at the last point, quote currency. */
  readonly endEquityQuote: number;
  /** Days from the first to the last equity point. */
  readonly periodDays: number;
  /** `end / start − 1` (0.1 = +10 %); 0 when the starting equity is not above 0. */
  readonly totalReturnFraction: number;
  /**
   * `(end / start)^(365 / days) − 1`; `null` for a period shorter than {@link MIN_CAGR_PERIOD_DAYS} (compounding a
   * few days to a year turns noise into figures such as +7.6e18 %), or when either end's equity is not above 0.
   */
  readonly cagrFraction: number | null;
  /** Annualised Sharpe ratio of daily returns (sample standard deviation, risk-free rate 0); `null` when undefined (too few days, no variation). */
  readonly sharpe: number | null;
  /** Annualised Sortino ratio of daily returns (downside deviation below 0); `null` when undefined (too few days, no losing day). */
  readonly sortino: number | null;
  /** CAGR over the max drawdown's depth; `null` when either is not defined or the depth is 0. */
  readonly calmar: number | null;
  /** The deepest fall from a running peak, measured on every equity point (not only daily). */
  readonly maxDrawdown: MaxDrawdown;
  /** How many round trips closed (FIFO matched; a partial exit counts as its own). */
  readonly roundTrips: number;
  /** Round trips with a PnL above zero, over all round trips. */
  readonly winRate: number | null;
  /** Gross profit over gross loss of round trips; `null` without round trips or without a losing one (no loss to divide by). */
  readonly profitFactor: number | null;
  /** Mean PnL per round trip, fees included. */
  readonly expectancyQuote: number | null;
  /** Mean holding time of the round trips, ms; `null` without round trips. */
  readonly averageHoldingMs: number | null;
  /** Fraction of the period with a position open (time-weighted between equity points). */
  readonly exposureFraction: number;
  /** Σ fees of every execution, both sides, quote currency. */
  readonly feesQuote: number;
  /** Σ price × size of every execution, both sides. */
  readonly tradedNotionalQuote: number;
  /** Traded notional over the starting equity. */
  readonly turnover: number;
}

/**
 * The max drawdown of an equity series and its duration (peak to recovery, or to the end).
 * @example
 * measureMaxDrawdown([{ atMs: 0, equityQuote: 100 }, { atMs: 1, equityQuote: 50 }, { atMs: 2, equityQuote: 100 }]);
 * // depthFraction 0.5, peak 0, trough 1, recovered 2, duration 2
 */
export function measureMaxDrawdown(points: readonly { readonly atMs: number; readonly equityQuote: number }[]): MaxDrawdown {
  const series = drawdownSeries(points);
  let trough = -1;
  for (let index = 0; index < series.length; index += 1) {
    if (series[index]!.drawdownFraction < (trough < 0 ? 0 : series[trough]!.drawdownFraction)) trough = index;
  }
  let longestUnderwaterMs = 0;
  let underwaterSince: number | undefined;
  for (let index = 0; index < series.length; index += 1) {
    const below = series[index]!.drawdownFraction < 0;
    if (below && underwaterSince === undefined) underwaterSince = series[index - 1]?.atMs ?? series[index]!.atMs;
    if (underwaterSince !== undefined) longestUnderwaterMs = Math.max(longestUnderwaterMs, series[index]!.atMs - underwaterSince);
    if (!below) underwaterSince = undefined;
  }
  if (trough < 0) return { depthFraction: 0, peakAtMs: null, troughAtMs: null, recoveredAtMs: null, durationMs: 0, longestUnderwaterMs };
  let peak = trough;
  while (peak > 0 && series[peak]!.drawdownFraction < 0) peak -= 1;
  let recovered = trough;
  while (recovered < series.length && series[recovered]!.drawdownFraction < 0) recovered += 1;
  const recoveredAtMs = recovered < series.length ? series[recovered]!.atMs : null;
  return {
    depthFraction: -series[trough]!.drawdownFraction,
    peakAtMs: series[peak]!.atMs,
    troughAtMs: series[trough]!.atMs,
    recoveredAtMs,
    durationMs: (recoveredAtMs ?? series.at(-1)!.atMs) - series[peak]!.atMs,
    longestUnderwaterMs,
  };
}

/** The shortest period a CAGR (and so a Calmar ratio) is given for, days: a month. */
export const MIN_CAGR_PERIOD_DAYS = 30;

/** A figure that overflowed is not defined either. */
function finiteOrNull(value: number | null | undefined): number | null {
  return value !== null && value !== undefined && Number.isFinite(value) ? value : null;
}

/** Below this a float position is a rounding residue of a full exit, not a holding. */
export const POSITION_EPSILON_BASE = 1e-12;

function exposureOf(equity: readonly EquityPoint[]): number {
  let inMarketMs = 0;
  for (let index = 1; index < equity.length; index += 1) {
    if (equity[index - 1]!.positionBase > POSITION_EPSILON_BASE) inMarketMs += equity[index]!.atMs - equity[index - 1]!.atMs;
  }
  const periodMs = equity.length > 1 ? equity.at(-1)!.atMs - equity[0]!.atMs : 0;
  return periodMs > 0 ? inMarketMs / periodMs : 0;
}

function tradeFigures(roundTrips: readonly RoundTrip[]): Pick<PerformanceMetrics, 'winRate' | 'profitFactor' | 'expectancyQuote' | 'averageHoldingMs'> {
  if (roundTrips.length === 0) return { winRate: null, profitFactor: null, expectancyQuote: null, averageHoldingMs: null };
  let grossProfit = 0;
  let grossLoss = 0;
  let wins = 0;
  for (const trip of roundTrips) {
    if (trip.pnlQuote > 0) {
      grossProfit += trip.pnlQuote;
      wins += 1;
    } else grossLoss -= trip.pnlQuote;
  }
  return {
    winRate: wins / roundTrips.length,
    profitFactor: grossLoss > 0 ? grossProfit / grossLoss : null,
    expectancyQuote: meanOf(roundTrips.map((trip) => trip.pnlQuote)) ?? null,
    averageHoldingMs: meanOf(roundTrips.map((trip) => trip.holdingMs)) ?? null,
  };
}

/** Refuses a point or an execution whose numbers no figure can be computed from (NaN would reach every total). */
function checkInputs(equity: readonly EquityPoint[], executions: readonly TradeExecution[]): void {
  for (let index = 0; index < equity.length; index += 1) {
    const { atMs, equityQuote, cashQuote, positionBase, priceQuote } = equity[index]!;
    const previousMs = index === 0 ? -Infinity : equity[index - 1]!.atMs;
    if (!(Number.isFinite(atMs) && atMs >= previousMs) || ![equityQuote, cashQuote, positionBase, priceQuote].every(Number.isFinite)) {
      throw new TradepipeError('validation_failed', 'An equity point needs finite numbers and a time not before the previous point', { details: { index, atMs: String(atMs) } });
    }
  }
  for (let index = 0; index < executions.length; index += 1) {
    const { orderId, atMs, sizeBase, priceQuote, feeQuote } = executions[index]!;
    if (!Number.isFinite(atMs) || !(sizeBase > 0 && sizeBase < Infinity) || !(priceQuote > 0 && priceQuote < Infinity) || !Number.isFinite(feeQuote)) {
      throw new TradepipeError('validation_failed', 'An execution needs a finite time and fee and a size and price above 0', { details: { index, orderId } });
    }
  }
}

/**
 * Every performance figure of an equity curve and the executions behind it (see {@link PerformanceMetrics}).
 * @param input.equity mark-to-market points, oldest first (e.g. from {@link buildEquityCurve})
 * @param input.executions the trades (e.g. {@link executionsFromFills}); round trips are matched FIFO
 * @throws TradepipeError `validation_failed` if a point or an execution holds a number that is not finite (or a size or price not above 0), or the points are not in time order
 * @example
 * const metrics = computePerformanceMetrics({ equity: buildEquityCurve({ fills, candles, startingQuote: 1000 }), executions: executionsFromFills(fills) });
 */
export function computePerformanceMetrics(input: { readonly equity: readonly EquityPoint[]; readonly executions: readonly TradeExecution[] }): PerformanceMetrics {
  const { equity, executions } = input;
  checkInputs(equity, executions);
  const start = equity[0]?.equityQuote ?? 0;
  const end = equity.at(-1)?.equityQuote ?? start;
  const periodDays = equity.length > 1 ? (equity.at(-1)!.atMs - equity[0]!.atMs) / DAY_MS : 0;
  const dailyReturns = simpleReturns(resampleToUtcDays(equity).map((point) => point.equityQuote));
  const cagrFraction = finiteOrNull(start > 0 && end > 0 && periodDays >= MIN_CAGR_PERIOD_DAYS ? (end / start) ** (DAYS_PER_YEAR / periodDays) - 1 : null);
  const maxDrawdown = measureMaxDrawdown(equity);
  const tradedNotionalQuote = executions.reduce((sum, execution) => sum + execution.priceQuote * execution.sizeBase, 0);
  const { roundTrips } = matchRoundTrips(executions);
  return {
    startEquityQuote: start,
    endEquityQuote: end,
    periodDays,
    totalReturnFraction: start > 0 ? end / start - 1 : 0,
    cagrFraction,
    sharpe: finiteOrNull(sharpeRatio(dailyReturns, DAYS_PER_YEAR)),
    sortino: finiteOrNull(sortinoRatio(dailyReturns, DAYS_PER_YEAR)),
    calmar: finiteOrNull(cagrFraction !== null && maxDrawdown.depthFraction > 0 ? cagrFraction / maxDrawdown.depthFraction : null),
    maxDrawdown,
    roundTrips: roundTrips.length,
    ...tradeFigures(roundTrips),
    exposureFraction: exposureOf(equity),
    feesQuote: executions.reduce((sum, execution) => sum + execution.feeQuote, 0),
    tradedNotionalQuote,
    turnover: start > 0 ? tradedNotionalQuote / start : 0,
  };
}
