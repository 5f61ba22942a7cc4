import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_GAP_POLICY, parseCandleCsv, sequenceCandles, type Candle } from '@tradepipe/core';

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
 * Loads the bundled CSV (`timestamp,open,close,volume,unix_timestamp,high,low`) with core's `parseCandleCsv`
 * (every row through `CandleSchema`) and runs the series through core's gap policy.
 * @throws TradepipeError `validation_failed` naming the first bad row.
 */
export function loadBundledCandles(path = BUNDLED_CANDLES_PATH): BundledCandles {
  const parsed = parseCandleCsv({ text: readFileSync(path, 'utf8'), productId: 'BTC-USD', granularity: 'ONE_DAY' });
  const candles = sequenceCandles(parsed, DEFAULT_GAP_POLICY);
  return {
    candles,
    rows: parsed.length,
    gapFilled: candles.filter((candle) => candle.gapFilled).length,
    flat: candles.filter((candle) => !candle.gapFilled && candle.high === candle.low).length,
    zeroVolume: candles.filter((candle) => !candle.gapFilled && candle.volume === 0).length,
  };
}
