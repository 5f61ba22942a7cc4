import { barsPerDay, candleCloseMs, granularityMs, type Candle, type Granularity, type PipelineStore } from '@tradepipe/core';
import { MIN_VOLATILITY_WINDOW_BARS, annualizationFactor, logReturnStatistics, volatilityWindowBars } from './volatility.js';

/** A series' state at a decision time: its last closed candle and its realised volatility, if enough candles. */
export interface SeriesReading {
  readonly markPrice: number;
  readonly lastCandleStartMs: number;
  readonly lastCandleCloseMs: number;
  /** `undefined` with fewer log returns than the minimum. */
  readonly volatility: { readonly annualized: number; readonly returns: number } | undefined;
}

/** Reads a series' volatility from the store as of a decision time. */
export interface VolatilityReader {
  read(store: PipelineStore, series: { productId: string; granularity: Granularity }, asOfMs: number): Promise<SeriesReading | undefined>;
}

/** A complete window kept between reads: its closes in a ring (oldest at `head`) and running sums. Mutated in place. */
interface WindowEntry {
  lastStartMs: number;
  readonly ring: Float64Array;
  head: number;
  /** Running Σr and Σr² of the window's log returns, for O(1) extension. */
  sum: number;
  sumSquares: number;
  /** Extensions since the last exact (two-pass) computation. */
  extensions: number;
  reading: SeriesReading;
}

const MAX_CACHED_SERIES = 2_048;

/**
 * Creates a reader of realised volatility over the last `windowDays` of candles closed at the decision
 * time (`getCandles({ asOfMs })`: never a later candle). With `cache`, a window that is complete (every bucket
 * present) is kept per series and extended with the candles that closed since; a closed candle never changes
 * (first write wins), so a complete window read again gives the same figure. Incomplete windows are re-read.
 * Extending a window updates running sums of the log returns (O(1) per new candle) and recomputes exactly
 * after a window's worth of extensions.
 * @internal
 */
export function createVolatilityReader(options: { windowDays: number; minReturns: number; cache: boolean }): VolatilityReader {
  const entries = new Map<string, WindowEntry>();
  return {
    async read(store, series, asOfMs) {
      const { productId, granularity } = series;
      const stepMs = granularityMs(granularity);
      const windowBars = volatilityWindowBars(options.windowDays, granularity);
      // A window holds `windowBars` returns at most (14 for daily candles): never ask for more than it can hold.
      const minReturns = Math.min(options.minReturns, windowBars);
      const latest = (await store.getCandles({ productId, granularity, asOfMs, limit: 1 }))[0];
      if (latest === undefined) return undefined;
      // Too short a window at this granularity: no volatility (the BUY is refused), never a two-candle one.
      if (windowBars < MIN_VOLATILITY_WINDOW_BARS) return { markPrice: latest.close, lastCandleStartMs: latest.startMs, lastCandleCloseMs: candleCloseMs(latest), volatility: undefined };
      const key = `${productId}/${granularity}`;
      const entry = options.cache ? entries.get(key) : undefined;
      if (entry !== undefined && entry.lastStartMs === latest.startMs) return entry.reading;
      if (entry !== undefined && latest.startMs > entry.lastStartMs && latest.startMs - entry.lastStartMs <= windowBars * stepMs) {
        const fresh = await store.getCandles({ productId, granularity, asOfMs, fromStartMs: entry.lastStartMs + stepMs });
        // Another read (the same series read twice at once: the traded product and a held one) may have moved the entry
        // to this candle while this one waited: its reading is this one's.
        const moved = entries.get(key);
        if (moved !== undefined && moved.lastStartMs === latest.startMs) return moved.reading;
        // Else extend only the state this one saw.
        const unchanged = fresh.length > 0 && entries.get(key) === entry && entry.lastStartMs === fresh[0]!.startMs - stepMs;
        if (unchanged && isContiguous(fresh, entry.lastStartMs + stepMs, stepMs) && entry.extensions + fresh.length < windowBars) {
          extend(entry, fresh, { bars: barsPerDay(granularity), minReturns });
          return entry.reading;
        }
      }
      const window = await store.getCandles({ productId, granularity, asOfMs, limit: windowBars + 1 });
      const closes = new Float64Array(window.length);
      for (let index = 0; index < window.length; index += 1) closes[index] = window[index]!.close;
      const complete = window.length === windowBars + 1 && isContiguous(window, window[0]!.startMs, stepMs);
      const returns = closes.length - 1;
      const statistics = returns >= Math.max(2, minReturns) ? logReturnStatistics(closes, barsPerDay(granularity)) : undefined;
      const reading: SeriesReading = {
        markPrice: latest.close,
        lastCandleStartMs: latest.startMs,
        lastCandleCloseMs: candleCloseMs(latest),
        volatility: statistics === undefined ? undefined : { annualized: statistics.volatilityAnnualized, returns },
      };
      if (options.cache && complete && statistics !== undefined) {
        if (entries.size >= MAX_CACHED_SERIES) entries.clear();
        entries.set(key, { lastStartMs: latest.startMs, ring: closes, head: 0, sum: statistics.sum, sumSquares: statistics.sumSquares, extensions: 0, reading });
      } else if (options.cache) {
        entries.delete(key);
      }
      return reading;
    },
  };
}

/**
 * Slides a complete window forward by the candles that closed since: each new log return is added to the
 * running sums and the oldest removed, so the variance is `(Σr² − (Σr)²/n) / (n − 1)` in O(1) per candle.
 * Rounding drift is bounded by recomputing exactly once a window's worth of candles has slid in.
 */
function extend(entry: WindowEntry, fresh: readonly Candle[], settings: { bars: number; minReturns: number }): void {
  const { ring } = entry;
  const size = ring.length;
  for (const candle of fresh) {
    const oldest = ring[entry.head]!;
    const second = ring[(entry.head + 1) % size]!;
    const newest = ring[(entry.head + size - 1) % size]!;
    const added = Math.log(candle.close / newest);
    const dropped = Math.log(second / oldest);
    entry.sum += added - dropped;
    entry.sumSquares += added * added - dropped * dropped;
    ring[entry.head] = candle.close;
    entry.head = (entry.head + 1) % size;
  }
  const count = size - 1;
  const variance = Math.max(0, (entry.sumSquares - (entry.sum * entry.sum) / count) / (count - 1));
  const last = fresh[fresh.length - 1]!;
  entry.lastStartMs = last.startMs;
  entry.extensions += fresh.length;
  entry.reading = {
    markPrice: last.close,
    lastCandleStartMs: last.startMs,
    lastCandleCloseMs: candleCloseMs(last),
    volatility: count >= settings.minReturns ? { annualized: Math.sqrt(variance) * annualizationFactor(settings.bars), returns: count } : undefined,
  };
}

function isContiguous(candles: readonly Candle[], firstStartMs: number, stepMs: number): boolean {
  for (let index = 0; index < candles.length; index += 1) {
    if (candles[index]!.startMs !== firstStartMs + index * stepMs) return false;
  }
  return candles.length > 0;
}
