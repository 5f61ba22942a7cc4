import { GRANULARITIES, type Granularity } from '@tradepipe/core';

/** A candle as Coinbase sends it: every field a string, `start` in UNIX seconds. */
export interface FakeWireCandle {
  /** Bucket start, UNIX seconds, e.g. `'1700000000'`. */
  readonly start: string;
  /** Lowest trade price in the bucket, decimal text. */
  readonly low: string;
  /** Highest trade price in the bucket, decimal text. */
  readonly high: string;
  /** First trade price in the bucket, decimal text. */
  readonly open: string;
  /** Last trade price in the bucket, decimal text. */
  readonly close: string;
  /** Base-currency volume traded in the bucket, decimal text. */
  readonly volume: string;
}

function seedOf(productId: string): number {
  let hash = 0;
  for (const char of productId) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_003;
  return hash;
}

/** The deterministic synthetic price of a product at bucket index `index` (a smooth walk around `basePrice`). */
function syntheticPrice(basePrice: number, seed: number, index: number): number {
  return basePrice * (1 + 0.02 * Math.sin((index + seed) / 17) + 0.006 * Math.sin((index + seed) / 3.3));
}

/**
 * Candles of the fake exchange: explicit candles set by a test win; otherwise a deterministic synthetic
 * series (same values on REST and WebSocket), with buckets omitted where the test says nothing traded.
 */
export class FakeCandleBook {
  private readonly explicit = new Map<string, Map<number, FakeWireCandle>>();
  private readonly omitted = new Map<string, Set<number>>();

  constructor(private readonly basePrices: ReadonlyMap<string, number>, private readonly omitEvery: number | undefined) {}

  /** Sets candles of a series explicitly (start ms → candle). */
  set(productId: string, granularity: Granularity, candles: readonly FakeWireCandle[]): void {
    const key = `${productId}|${granularity}`;
    const series = this.explicit.get(key) ?? new Map<number, FakeWireCandle>();
    for (const candle of candles) series.set(Number(candle.start) * 1000, candle);
    this.explicit.set(key, series);
  }

  /** Marks buckets as having had no trade: Coinbase omits them. */
  omit(productId: string, granularity: Granularity, startMsList: readonly number[]): void {
    const key = `${productId}|${granularity}`;
    const set = this.omitted.get(key) ?? new Set<number>();
    for (const startMs of startMsList) set.add(startMs);
    this.omitted.set(key, set);
  }

  /** The candle of one bucket, or undefined if nothing traded in it. */
  candleAt(productId: string, granularity: Granularity, startMs: number): FakeWireCandle | undefined {
    const key = `${productId}|${granularity}`;
    if (this.omitted.get(key)?.has(startMs) === true) return undefined;
    const explicit = this.explicit.get(key);
    if (explicit !== undefined) return explicit.get(startMs);
    const basePrice = this.basePrices.get(productId);
    if (basePrice === undefined) return undefined;
    const stepMs = GRANULARITIES[granularity];
    const index = Math.floor(startMs / stepMs);
    if (this.omitEvery !== undefined && index % this.omitEvery === 0) return undefined;
    const seed = seedOf(productId);
    const open = syntheticPrice(basePrice, seed, index);
    const close = syntheticPrice(basePrice, seed, index + 1);
    return {
      start: String(startMs / 1000),
      open: open.toFixed(2),
      close: close.toFixed(2),
      high: (Math.max(open, close) * 1.001).toFixed(2),
      low: (Math.min(open, close) * 0.999).toFixed(2),
      volume: (1 + (index % 7) * 0.25).toFixed(8),
    };
  }

  /** Candles with `startMs <= start <= endMs` and start at or before `nowMs`, newest first (as Coinbase orders them). */
  range(productId: string, granularity: Granularity, startMs: number, endMs: number, nowMs: number): FakeWireCandle[] {
    const stepMs = GRANULARITIES[granularity];
    const result: FakeWireCandle[] = [];
    const first = Math.ceil(startMs / stepMs) * stepMs;
    for (let bucketMs = first; bucketMs <= endMs && bucketMs <= nowMs; bucketMs += stepMs) {
      const candle = this.candleAt(productId, granularity, bucketMs);
      if (candle !== undefined) result.push(candle);
    }
    return result.reverse();
  }
}
