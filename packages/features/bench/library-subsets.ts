import * as technicalIndicators from 'technicalindicators';
import { ADX, ATR, BollingerBands, EMA, MACD, OBV, RSI, StochasticOscillator } from 'trading-signals';
import type { RandomColumns } from '../src/test-support/random-candles.js';

/** The subset with trading-signals' streaming classes (`update` per candle). Returns a checksum. */
export function tradingSignalsSubset(columns: RandomColumns): number {
  const macd = new MACD(new EMA(12), new EMA(26), new EMA(9));
  const rsi = new RSI(14);
  const bands = new BollingerBands(20, 2);
  const atr = new ATR(14);
  const stochastic = new StochasticOscillator({ kPeriod: 14, kSlowingPeriod: 1, dPeriod: 3 });
  const adx = new ADX(14);
  const obv = new OBV(2);
  let checksum = 0;
  for (let t = 0; t < columns.close.length; t++) {
    const candle = { open: columns.open[t]!, high: columns.high[t]!, low: columns.low[t]!, close: columns.close[t]!, volume: columns.volume[t]! };
    checksum += macd.update(candle.close, false)?.histogram ?? 0;
    checksum += rsi.update(candle.close, false) ?? 0;
    checksum += bands.update(candle.close, false)?.upper ?? 0;
    checksum += atr.update(candle, false) ?? 0;
    checksum += stochastic.update(candle, false)?.stochD ?? 0;
    checksum += adx.update(candle, false) ?? 0;
    checksum += obv.update(candle, false) ?? 0;
  }
  return checksum;
}

type Streaming = { nextValue(input: never): unknown };
const next = (indicator: unknown, input: unknown): unknown => (indicator as Streaming).nextValue(input as never);

/** The subset with technicalindicators' streaming API (`nextValue` per candle). Returns a checksum. */
export function technicalIndicatorsSubset(columns: RandomColumns): number {
  const macd = new technicalIndicators.MACD({ fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: false, values: [] });
  const rsi = new technicalIndicators.RSI({ period: 14, values: [] });
  const bands = new technicalIndicators.BollingerBands({ period: 20, stdDev: 2, values: [] });
  const atr = new technicalIndicators.ATR({ period: 14, high: [], low: [], close: [] });
  const stochastic = new technicalIndicators.Stochastic({ period: 14, signalPeriod: 3, high: [], low: [], close: [] });
  const adx = new technicalIndicators.ADX({ period: 14, high: [], low: [], close: [] });
  const obv = new technicalIndicators.OBV({ close: [], volume: [] });
  let checksum = 0;
  for (let t = 0; t < columns.close.length; t++) {
    const candle = { open: columns.open[t]!, high: columns.high[t]!, low: columns.low[t]!, close: columns.close[t]!, volume: columns.volume[t]! };
    checksum += (macd.nextValue(candle.close) as { histogram?: number } | undefined)?.histogram ?? 0;
    checksum += rsi.nextValue(candle.close) ?? 0;
    checksum += bands.nextValue(candle.close)?.upper ?? 0;
    checksum += (next(atr, candle) as number | undefined) ?? 0;
    checksum += (next(stochastic, candle) as { d?: number } | undefined)?.d ?? 0;
    checksum += (next(adx, candle) as { adx?: number } | undefined)?.adx ?? 0;
    checksum += (next(obv, candle) as number | undefined) ?? 0;
  }
  return checksum;
}
