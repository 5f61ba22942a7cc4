import { readFile } from 'node:fs/promises';
import { parseCandleCsv } from '@tradepipe/core';

/** Daily candles as columns, oldest first. */
export interface CandleColumnsData {
  readonly startMs: number[];
  readonly open: number[];
  readonly high: number[];
  readonly low: number[];
  readonly close: number[];
  readonly volume: number[];
}

/**
 * Reads the project's candle CSV (`timestamp,open,close,volume,unix_timestamp,high,low`) into columns.
 * @throws TradepipeError `validation_failed` on a malformed row.
 */
export async function readCandleCsv(path: string): Promise<CandleColumnsData> {
  const candles = parseCandleCsv({ text: await readFile(path, 'utf8'), productId: 'BTC-USD', granularity: 'ONE_DAY' });
  return {
    startMs: candles.map((candle) => candle.startMs),
    open: candles.map((candle) => candle.open),
    high: candles.map((candle) => candle.high),
    low: candles.map((candle) => candle.low),
    close: candles.map((candle) => candle.close),
    volume: candles.map((candle) => candle.volume),
  };
}
