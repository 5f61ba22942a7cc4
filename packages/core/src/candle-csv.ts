import { TradepipeError } from './errors.js';
import { parseWith } from './parse.js';
import { CandleSchema, type Candle } from './records/market.js';
import type { Granularity } from './time.js';

/**
 * Parses candles from CSV text with a header row. Columns are found by name, in any order: `open`, `high`,
 * `low`, `close`, `volume`, and the start time as `unix_timestamp` or `start` (epoch seconds), or `start_ms`
 * (epoch milliseconds). Every row goes through {@link CandleSchema}; the result is sorted by start. Pass it
 * through `sequenceCandles` to apply the gap policy.
 * @param input.text the file's content (core does no I/O: read the file yourself)
 * @throws TradepipeError `validation_failed` naming the first bad row or a missing column
 * @example
 * const candles = parseCandleCsv({ text: readFileSync('data/btc-usd-1d.csv', 'utf8'), productId: 'BTC-USD', granularity: 'ONE_DAY' });
 */
export function parseCandleCsv(input: { readonly text: string; readonly productId: string; readonly granularity: Granularity }): Candle[] {
  const lines = input.text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((name) => name.trim().toLowerCase());
  const column = (...names: string[]): number | undefined => names.map((name) => header.indexOf(name)).find((index) => index !== -1);
  const seconds = column('unix_timestamp', 'start');
  const milliseconds = column('start_ms');
  const prices = ['open', 'high', 'low', 'close', 'volume'].map((name) => column(name));
  const missing = ['open', 'high', 'low', 'close', 'volume'].filter((_, index) => prices[index] === undefined);
  if (missing.length > 0 || (seconds === undefined && milliseconds === undefined)) {
    throw new TradepipeError('validation_failed', 'The candle CSV lacks a column', {
      details: { missing: [...missing, ...(seconds === undefined && milliseconds === undefined ? ['unix_timestamp|start|start_ms'] : [])].join(',') },
    });
  }
  const [open, high, low, close, volume] = prices as [number, number, number, number, number];
  const candles = lines.slice(1).map((line, index) => {
    const cells = line.split(',');
    const number = (at: number): number => (cells[at] === undefined || cells[at]!.trim() === '' ? Number.NaN : Number(cells[at]));
    const startMs = milliseconds === undefined ? number(seconds!) * 1000 : number(milliseconds);
    const row = { productId: input.productId, granularity: input.granularity, startMs, open: number(open), high: number(high), low: number(low), close: number(close), volume: number(volume) };
    return parseWith(CandleSchema, row, `candle on CSV line ${index + 2}`);
  });
  return candles.sort((a, b) => a.startMs - b.startMs);
}
