import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCandleCsv, type Candle } from '@tradepipe/core';
import type { CandleColumns } from '../feature-matrix.js';

/** Where the bundled BTC-USD daily candles are. @internal */
export const BTC_CSV_PATH = fileURLToPath(new URL('../../../../data/btc-usd-1d.csv', import.meta.url));

/** Loads the bundled BTC-USD daily candles with core's `parseCandleCsv`. @internal */
export function loadBtcDailyCandles(path: string = BTC_CSV_PATH): Candle[] {
  return parseCandleCsv({ text: readFileSync(path, 'utf8'), productId: 'BTC-USD', granularity: 'ONE_DAY' });
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
