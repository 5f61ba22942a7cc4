import { TradepipeError } from './errors.js';
import { parseWith } from './parse.js';
import { CandleSchema, type Candle } from './records/market.js';
import type { Granularity } from './time.js';

/** A plain decimal number: optional sign, digits with an optional fraction, an optional decimal exponent. */
const PLAIN_DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Reads one CSV cell as a plain decimal number (spaces around it allowed). `Number()` alone would also take hex,
 * binary and octal literals (`0x64` is 100), `Infinity` and empty cells (0), so anything else is refused.
 * @throws TradepipeError `validation_failed` naming the line and column (never the cell's text)
 */
function decimalCell(cell: string | undefined, at: { readonly line: number; readonly column: string }): number {
  const text = cell?.trim() ?? '';
  const value = PLAIN_DECIMAL.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value)) {
    throw new TradepipeError('validation_failed', `The candle CSV has a value that is not a plain decimal number on line ${at.line}, column ${at.column}`, {
      details: { line: at.line, column: at.column },
    });
  }
  return value;
}

/**
 * Parses candles from CSV text with a header row. Columns are found by name, in any order: `open`, `high`,
 * `low`, `close`, `volume`, and the start time as `unix_timestamp` or `start` (epoch seconds), or `start_ms`
 * (epoch milliseconds). Every cell must be a plain decimal number (`100`, `-0.5`, `2.5e-7`, spaces around it
 * allowed; never hex, binary or octal literals, `Infinity`, `1_000` or an empty cell), and every row goes through
 * {@link CandleSchema}; the result is sorted by start. Pass it through `sequenceCandles` to apply the gap policy.
 * @param input.text the file's content (core does no I/O: read the file yourself)
 * @throws TradepipeError `validation_failed` naming the first bad row (and the column of a value that is not a
 * plain decimal number) or a missing column
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
    const number = (at: number): number => decimalCell(cells[at], { line: index + 2, column: header[at]! });
    const startMs = milliseconds === undefined ? number(seconds!) * 1000 : number(milliseconds);
    const row = { productId: input.productId, granularity: input.granularity, startMs, open: number(open), high: number(high), low: number(low), close: number(close), volume: number(volume) };
    return parseWith(CandleSchema, row, `candle on CSV line ${index + 2}`);
  });
  return candles.sort((a, b) => a.startMs - b.startMs);
}
