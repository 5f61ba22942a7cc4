import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseWith } from '@tradepipe/core';

const CandleRowSchema = z.object({
  unix_timestamp: z.coerce.number().int().positive(),
  open: z.coerce.number().positive(),
  high: z.coerce.number().positive(),
  low: z.coerce.number().positive(),
  close: z.coerce.number().positive(),
  volume: z.coerce.number().nonnegative(),
});

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
  const lines = (await readFile(path, 'utf8')).trim().split(/\r?\n/);
  const header = (lines[0] ?? '').split(',');
  const columns: CandleColumnsData = { startMs: [], open: [], high: [], low: [], close: [], volume: [] };
  for (let index = 1; index < lines.length; index += 1) {
    const cells = (lines[index] as string).split(',');
    const record = Object.fromEntries(header.map((name, position) => [name, cells[position]]));
    const row = parseWith(CandleRowSchema, record, `candle CSV row ${index}`);
    columns.startMs.push(row.unix_timestamp * 1000);
    columns.open.push(row.open);
    columns.high.push(row.high);
    columns.low.push(row.low);
    columns.close.push(row.close);
    columns.volume.push(row.volume);
  }
  return columns;
}
