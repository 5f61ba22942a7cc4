import type { Candle } from '../records/market.js';

/** An OHLC bar for a chart: one candle, or several merged. */
export interface PriceBar {
  /** Start of the bar's first candle, epoch ms. */
  readonly atMs: number;
  /** Open of the first candle, quote currency per base unit. */
  readonly open: number;
  /** Highest high of the merged candles. */
  readonly high: number;
  /** Lowest low of the merged candles. */
  readonly low: number;
  /** Close of the last candle. */
  readonly close: number;
}

/**
 * Candles merged into at most `maxBars` bars of `factor` consecutive candles each (open of the first, highest
 * high, lowest low, close of the last): every extreme survives.
 * @returns the bars and how many candles each holds (1 when nothing was merged)
 * @example
 * mergeCandles(yearOfMinutes, 20_000).factor; // 27
 */
export function mergeCandles(candles: readonly Candle[], maxBars: number): { readonly bars: PriceBar[]; readonly factor: number } {
  const sorted = [...candles].sort((a, b) => a.startMs - b.startMs);
  const factor = Math.max(1, Math.ceil(sorted.length / Math.max(1, maxBars)));
  const bars: PriceBar[] = [];
  for (let start = 0; start < sorted.length; start += factor) {
    const group = sorted.slice(start, start + factor);
    let high = Number.NEGATIVE_INFINITY;
    let low = Number.POSITIVE_INFINITY;
    for (const candle of group) {
      high = Math.max(high, candle.high);
      low = Math.min(low, candle.low);
    }
    bars.push({ atMs: group[0]!.startMs, open: group[0]!.open, high, low, close: group.at(-1)!.close });
  }
  return { bars, factor };
}

/**
 * Thins a series to about `maxPoints` while keeping what the eye sees: the series is cut into buckets and each
 * bucket keeps its lowest and highest point (in time order); the first and last points, and every point whose
 * time is in `keepAtMs` (trades), are always kept. A series already short enough comes back whole.
 * @example
 * downsampleMinMax(equity, 10_000, (point) => point.equityQuote, new Set(tradeTimes));
 */
export function downsampleMinMax<Point extends { readonly atMs: number }>(
  points: readonly Point[],
  maxPoints: number,
  valueOf: (point: Point) => number,
  keepAtMs: ReadonlySet<number> = new Set(),
): Point[] {
  if (points.length <= maxPoints) return [...points];
  const values = Float64Array.from(points, valueOf);
  const keep = new Set<number>([0, points.length - 1]);
  const bucketSize = Math.ceil(points.length / Math.max(1, Math.floor(maxPoints / 2)));
  for (let start = 0; start < points.length; start += bucketSize) {
    let lowest = start;
    let highest = start;
    for (let index = start; index < Math.min(points.length, start + bucketSize); index += 1) {
      if (values[index]! < values[lowest]!) lowest = index;
      if (values[index]! > values[highest]!) highest = index;
    }
    keep.add(lowest).add(highest);
  }
  if (keepAtMs.size > 0) points.forEach((point, index) => keepAtMs.has(point.atMs) && keep.add(index));
  return [...keep].sort((a, b) => a - b).map((index) => points[index]!);
}
