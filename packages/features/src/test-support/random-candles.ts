import type { Candle } from '@tradepipe/core';

/** A small seeded PRNG (mulberry32) returning numbers in [0, 1). @internal */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Options of {@link randomColumns}. @internal */
export interface RandomSeriesOptions {
  readonly length: number;
  readonly seed: number;
  readonly startMs?: number;
  readonly stepMs?: number;
  /** Share of candles that are flat (high = low) with zero volume, like quiet or gap-filled buckets. */
  readonly flatShare?: number;
}

/** Columns of a valid random-walk OHLCV series. @internal */
export interface RandomColumns {
  startMs: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

/**
 * A valid random-walk series (log-normal steps of ~2%, some flat zero-volume candles), as columns.
 * @internal
 */
export function randomColumns(options: RandomSeriesOptions): RandomColumns {
  const { length, seed, startMs = 1_700_000_000_000 - (1_700_000_000_000 % 3_600_000), stepMs = 3_600_000, flatShare = 0.03 } = options;
  const random = seededRandom(seed);
  const columns: RandomColumns = {
    startMs: new Float64Array(length),
    open: new Float64Array(length),
    high: new Float64Array(length),
    low: new Float64Array(length),
    close: new Float64Array(length),
    volume: new Float64Array(length),
  };
  let price = 100 + random() * 1000;
  for (let index = 0; index < length; index++) {
    columns.startMs[index] = startMs + index * stepMs;
    const open = price;
    if (random() < flatShare) {
      columns.open[index] = open;
      columns.high[index] = open;
      columns.low[index] = open;
      columns.close[index] = open;
      columns.volume[index] = 0;
      continue;
    }
    const close = open * Math.exp((random() - 0.5) * 0.04);
    columns.open[index] = open;
    columns.close[index] = close;
    columns.high[index] = Math.max(open, close) * (1 + random() * 0.01);
    columns.low[index] = Math.min(open, close) * (1 - random() * 0.01);
    columns.volume[index] = random() < 0.02 ? 0 : random() * 50;
    price = close;
  }
  return columns;
}

/** Row `index` of columns as a core candle. @internal */
export function candleAt(columns: RandomColumns, index: number, productId = 'BTC-USD', granularity: Candle['granularity'] = 'ONE_HOUR'): Candle {
  return {
    productId,
    granularity,
    startMs: columns.startMs[index]!,
    open: columns.open[index]!,
    high: columns.high[index]!,
    low: columns.low[index]!,
    close: columns.close[index]!,
    volume: columns.volume[index]!,
    gapFilled: false,
  };
}
