import { toApproxNumber } from '../decimal.js';
import type { Fill } from '../records/execution.js';
import { candleCloseMs, type Candle } from '../records/market.js';
import { startOfUtcDayMs } from '../time.js';

/** One mark-to-market point of an account trading one product. */
export interface EquityPoint {
  /** When the point was marked (a candle's close, or the period's start), epoch ms. */
  readonly atMs: number;
  /** Cash (quote currency) plus the position marked at `priceQuote`. */
  readonly equityQuote: number;
  /** Quote currency held. */
  readonly cashQuote: number;
  /** Base currency held. */
  readonly positionBase: number;
  /** The mark price: the close of the candle that ended at `atMs` (its open for the starting point). */
  readonly priceQuote: number;
}

/** A point of a drawdown series: how far equity is below its running peak, as a fraction (≤ 0). */
export interface DrawdownPoint {
  /** The equity point's instant, epoch ms. */
  readonly atMs: number;
  /** `equity / running peak − 1`: 0 at a new high, −0.25 a quarter below it. */
  readonly drawdownFraction: number;
}

/** A fill's effect on cash and position, as numbers (reporting only; the ledger keeps decimals). */
interface FillEffect {
  readonly atMs: number;
  readonly cashDelta: number;
  readonly baseDelta: number;
}

function effectOf(fill: Fill): FillEffect {
  const price = toApproxNumber(fill.price);
  const size = toApproxNumber(fill.sizeBase);
  const commission = toApproxNumber(fill.commission);
  const buy = fill.side === 'BUY';
  return {
    atMs: fill.filledAtMs,
    cashDelta: buy ? -(price * size + commission) : price * size - commission,
    baseDelta: buy ? size : -size,
  };
}

/**
 * The mark-to-market equity of an account trading one product: a starting point at the first candle's start
 * (marked at its open), then one point at each candle's close, after every fill at or before that instant,
 * with the position valued at the close. Fills change cash by `∓ price × size − commission`, as the ledger does.
 * @param input.fills the product's fills, in any order (other products' fills are ignored)
 * @param input.candles the replayed candles of the product, in any order
 * @param input.startingQuote cash at the start; `startingBase` the base held at the start (default 0)
 * @example
 * const curve = buildEquityCurve({ fills, candles, startingQuote: 1000 });
 * curve.at(-1)!.equityQuote; // the account's value at the last close
 */
export function buildEquityCurve(input: {
  readonly fills: readonly Fill[];
  readonly candles: readonly Candle[];
  readonly startingQuote: number;
  readonly startingBase?: number;
}): EquityPoint[] {
  const candles = [...input.candles].sort((a, b) => a.startMs - b.startMs);
  if (candles.length === 0) return [];
  const productId = candles[0]!.productId;
  const effects = input.fills
    .filter((fill) => fill.productId === productId)
    .map(effectOf)
    .sort((a, b) => a.atMs - b.atMs);
  let cash = input.startingQuote;
  let base = input.startingBase ?? 0;
  let next = 0;
  const applyUntil = (atMs: number): void => {
    while (next < effects.length && effects[next]!.atMs <= atMs) {
      cash += effects[next]!.cashDelta;
      base += effects[next]!.baseDelta;
      next += 1;
    }
  };
  const first = candles[0]!;
  applyUntil(first.startMs);
  const points: EquityPoint[] = [{ atMs: first.startMs, equityQuote: cash + base * first.open, cashQuote: cash, positionBase: base, priceQuote: first.open }];
  for (const candle of candles) {
    const atMs = candleCloseMs(candle);
    applyUntil(atMs);
    points.push({ atMs, equityQuote: cash + base * candle.close, cashQuote: cash, positionBase: base, priceQuote: candle.close });
  }
  return points;
}

/**
 * Equity resampled to UTC days: the period's first point, then the last point of each UTC day. A point at
 * exactly midnight closes the day before (a daily candle closing at 00:00 is that day's end of day).
 * @example
 * simpleReturns(resampleToUtcDays(curve).map((point) => point.equityQuote)); // daily returns
 */
export function resampleToUtcDays<Point extends { readonly atMs: number }>(points: readonly Point[]): Point[] {
  if (points.length === 0) return [];
  const daily: Point[] = [points[0]!];
  let currentDay = startOfUtcDayMs(points[0]!.atMs - 1);
  for (let index = 1; index < points.length; index += 1) {
    const point = points[index]!;
    const day = startOfUtcDayMs(point.atMs - 1);
    if (day === currentDay && daily.length > 1) daily[daily.length - 1] = point;
    else daily.push(point);
    currentDay = day;
  }
  return daily;
}

/**
 * The drawdown at each point: `equity / running peak − 1`.
 * @example
 * drawdownSeries([{ atMs: 0, equityQuote: 100 }, { atMs: 1, equityQuote: 80 }]); // fractions 0, −0.2
 */
export function drawdownSeries(points: readonly { readonly atMs: number; readonly equityQuote: number }[]): DrawdownPoint[] {
  let peak = Number.NEGATIVE_INFINITY;
  return points.map((point) => {
    peak = Math.max(peak, point.equityQuote);
    return { atMs: point.atMs, drawdownFraction: peak > 0 ? point.equityQuote / peak - 1 : 0 };
  });
}
