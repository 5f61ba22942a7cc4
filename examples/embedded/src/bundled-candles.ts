import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CandleSchema, DEFAULT_GAP_POLICY, parseWith, sequenceCandles, type Candle } from '@tradepipe/core';

/** Where the bundled BTC-USD daily candles live (Bitstamp, then Coinbase; 2011-08-18 … 2025-09-24). */
export const BUNDLED_CANDLES_PATH = fileURLToPath(new URL('../../../data/btc-usd-1d.csv', import.meta.url));

/** What loading the bundled file found. */
export interface BundledCandles {
  readonly candles: readonly Candle[];
  readonly rows: number;
  readonly gapFilled: number;
  readonly flat: number;
  readonly zeroVolume: number;
}

/**
 * Loads the bundled CSV (`timestamp,open,close,volume,unix_timestamp,high,low`), parses every row with
 * core's `CandleSchema` and runs the series through core's gap policy.
 * @throws TradepipeError `validation_failed` naming the first bad row.
 */
export function loadBundledCandles(path = BUNDLED_CANDLES_PATH): BundledCandles {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const header = lines[0]?.split(',') ?? [];
  const column = (name: string): number => {
    const index = header.indexOf(name);
    if (index === -1) throw new Error(`bundled candles lack column ${name}`);
    return index;
  };
  const [open, close, volume, unix, high, low] = ['open', 'close', 'volume', 'unix_timestamp', 'high', 'low'].map(column) as [number, number, number, number, number, number];
  const parsed = lines.slice(1).map((line, index) => {
    const cells = line.split(',');
    const number = (at: number): number => Number(cells[at]);
    return parseWith(
      CandleSchema,
      { productId: 'BTC-USD', granularity: 'ONE_DAY', startMs: number(unix) * 1000, open: number(open), high: number(high), low: number(low), close: number(close), volume: number(volume) },
      `candle on row ${index + 2}`,
    );
  });
  const candles = sequenceCandles(parsed, DEFAULT_GAP_POLICY);
  return {
    candles,
    rows: parsed.length,
    gapFilled: candles.filter((candle) => candle.gapFilled).length,
    flat: candles.filter((candle) => !candle.gapFilled && candle.high === candle.low).length,
    zeroVolume: candles.filter((candle) => !candle.gapFilled && candle.volume === 0).length,
  };
}
