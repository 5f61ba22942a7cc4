import { readFile } from 'node:fs/promises';
import { parseCandleCsv } from '@tradepipe/core';
import { candleColumns } from '@tradepipe/features';

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
  return candleColumns(candles);
}
