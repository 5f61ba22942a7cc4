import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Candle } from '@tradepipe/core';
import type { CandleColumns } from '../feature-matrix.js';

/** Where the bundled BTC-USD daily candles are. @internal */
export const BTC_CSV_PATH = fileURLToPath(new URL('../../../../data/btc-usd-1d.csv', import.meta.url));

/**
 * Loads the bundled BTC-USD daily candles (`timestamp,open,close,volume,unix_timestamp,high,low`).
 * Test helper only; the lead owns the shared loader.
 * @internal
 */
export function loadBtcDailyCandles(path: string = BTC_CSV_PATH): Candle[] {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const column = (name: string): number => {
    const index = header.indexOf(name);
    if (index < 0) throw new Error(`missing column ${name}`);
    return index;
  };
  const [open, close, volume, unix, high, low] = ['open', 'close', 'volume', 'unix_timestamp', 'high', 'low'].map(column) as [number, number, number, number, number, number];
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    return {
      productId: 'BTC-USD',
      granularity: 'ONE_DAY',
      startMs: Number(cells[unix]) * 1000,
      open: Number(cells[open]),
      high: Number(cells[high]),
      low: Number(cells[low]),
      close: Number(cells[close]),
      volume: Number(cells[volume]),
      gapFilled: false,
    };
  });
}

/** Turns candles into columns for `computeFeatureMatrix`. @internal */
export function toColumns(candles: readonly Candle[]): CandleColumns {
  return {
    startMs: Float64Array.from(candles, (candle) => candle.startMs),
    open: Float64Array.from(candles, (candle) => candle.open),
    high: Float64Array.from(candles, (candle) => candle.high),
    low: Float64Array.from(candles, (candle) => candle.low),
    close: Float64Array.from(candles, (candle) => candle.close),
    volume: Float64Array.from(candles, (candle) => candle.volume),
  };
}
