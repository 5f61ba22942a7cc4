import { describe, expect, it } from 'vitest';
import { ADX, ATR, BollingerBands, CCI, EMA, MACD, MFI, OBV, RSI, SMA, Stochastic, TrueRange, WilliamsR } from 'technicalindicators';
import { computeFeatureMatrix } from './feature-matrix.js';
import { loadBtcDailyCandles, toColumns } from './test-support/btc-candles.js';
import { worstRatio } from './test-support/compare.js';

// Reference: technicalindicators 3 (a dev dependency only) on the bundled BTC-USD daily candles, fed
// one candle at a time through `nextValue`. Tolerance |a − b| ≤ 1e-9·max(1, |b|) from row 699 unless a
// test says why not. Convention differences:
// - its RSI rounds to 2 decimals (`toFixed(2)`), so RSI is compared within 0.005.
// - its MFI counts a tie in typical price as negative flow and rounds to 2 decimals; TA-Lib (ours) counts
//   a tie as neither. Compared within 0.005 on rows whose 15-candle window has no tie.
// - its EMA and Wilder seeds are SMAs like ours; its ADX true range starts at the second candle as ours.
const candles = loadBtcDailyCandles();
const result = computeFeatureMatrix(toColumns(candles), { granularity: 'ONE_DAY' });
const rows = candles.length;
// technicalindicators' `nextValue` is typed for one number, but its multi-input indicators take a candle.
type Streaming = { nextValue(input: never): unknown };
const feed = <Output>(indicator: unknown, input: unknown): Output | undefined =>
  (indicator as Streaming).nextValue(input as never) as Output | undefined;

function series(compute: (index: number) => number | undefined): Float64Array {
  const values = new Float64Array(rows).fill(Number.NaN);
  for (let index = 0; index < rows; index++) values[index] = compute(index) ?? Number.NaN;
  return values;
}

function expectWithin(check: ReturnType<typeof worstRatio>, compared = rows - result.firstWarmRow): void {
  expect(check.compared).toBe(compared);
  expect(check.ratio, JSON.stringify(check)).toBeLessThanOrEqual(1);
}

const hlc = (index: number) => ({ high: candles[index]!.high, low: candles[index]!.low, close: candles[index]!.close });

describe('against technicalindicators on BTC-USD daily candles', () => {
  it('matches SMA and EMA through the price ratios', () => {
    for (const period of [10, 20, 50] as const) {
      const sma = new SMA({ period, values: [] });
      const expected = series((index) => {
        const value = sma.nextValue(candles[index]!.close);
        return value === undefined ? undefined : candles[index]!.close / value - 1;
      });
      expectWithin(worstRatio(result, `close_to_sma_${period}`, expected));
    }
    for (const period of [12, 26, 50] as const) {
      const ema = new EMA({ period, values: [] });
      const expected = series((index) => {
        const value = ema.nextValue(candles[index]!.close);
        return value === undefined ? undefined : candles[index]!.close / value - 1;
      });
      expectWithin(worstRatio(result, `close_to_ema_${period}`, expected));
    }
  });

  it('matches RSI 14 to its 2 decimals', () => {
    const rsi = new RSI({ period: 14, values: [] });
    const expected = series((index) => rsi.nextValue(candles[index]!.close));
    expectWithin(worstRatio(result, 'rsi_14', expected, { tolerance: 0.005 + 1e-9 }));
  });

  it('matches MACD 12/26/9 with EMAs', () => {
    const macd = new MACD({ fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: false, values: [] });
    const outputs = candles.map((candle) => macd.nextValue(candle.close));
    const part = (key: 'MACD' | 'signal' | 'histogram') =>
      series((index) => {
        const value = outputs[index]?.[key];
        return value === undefined ? undefined : value / candles[index]!.close;
      });
    expectWithin(worstRatio(result, 'macd_line_to_close', part('MACD')));
    expectWithin(worstRatio(result, 'macd_signal_to_close', part('signal')));
    expectWithin(worstRatio(result, 'macd_histogram_to_close', part('histogram')));
  });

  it('matches Bollinger width and %B', () => {
    const bands = new BollingerBands({ period: 20, stdDev: 2, values: [] });
    const outputs = candles.map((candle) => bands.nextValue(candle.close));
    expectWithin(worstRatio(result, 'bollinger_percent_b_20', series((index) => outputs[index]?.pb)));
    const width = series((index) => {
      const output = outputs[index];
      return output === undefined ? undefined : (output.upper - output.lower) / output.middle;
    });
    expectWithin(worstRatio(result, 'bollinger_width_20', width));
  });

  it('matches true range / ATR 14, NATR 14, stochastic 14/3, Williams %R 14 and CCI 20', () => {
    const atr = new ATR({ period: 14, high: [], low: [], close: [] });
    const averages = series((index) => feed<number>(atr, hlc(index)));
    const trueRange = new TrueRange({ high: [], low: [], close: [] });
    const ranges = series((index) => feed<number>(trueRange, hlc(index)));
    // The scale-free forms: true range over ATR, and ATR over the close (natr_14 = 100·ATR/close).
    expectWithin(worstRatio(result, 'true_range_to_atr_14', series((index) => ranges[index]! / averages[index]!)));
    expectWithin(worstRatio(result, 'natr_14', series((index) => (100 * averages[index]!) / candles[index]!.close)));
    const stochastic = new Stochastic({ period: 14, signalPeriod: 3, high: [], low: [], close: [] });
    const outputs = candles.map((_, index) => feed<{ k: number; d?: number }>(stochastic, hlc(index)));
    expectWithin(worstRatio(result, 'stochastic_k_14', series((index) => outputs[index]?.k)));
    expectWithin(worstRatio(result, 'stochastic_d_14_3', series((index) => outputs[index]?.d)));
    const williams = new WilliamsR({ period: 14, high: [], low: [], close: [] });
    expectWithin(worstRatio(result, 'williams_r_14', series((index) => feed<number>(williams, hlc(index)))));
    const cci = new CCI({ period: 20, high: [], low: [], close: [] });
    expectWithin(worstRatio(result, 'cci_20', series((index) => feed<number>(cci, hlc(index)))));
  });

  it('matches ADX, +DI and −DI 14 from the first vector', () => {
    const adx = new ADX({ period: 14, high: [], low: [], close: [] });
    const outputs = candles.map((_, index) => feed<{ adx?: number; pdi?: number; mdi?: number }>(adx, hlc(index)));
    expectWithin(worstRatio(result, 'adx_14', series((index) => outputs[index]?.adx)));
    expectWithin(worstRatio(result, 'plus_di_14', series((index) => outputs[index]?.pdi)));
    expectWithin(worstRatio(result, 'minus_di_14', series((index) => outputs[index]?.mdi)));
  });

  it('matches the OBV slope from its cumulative OBV', () => {
    const obv = new OBV({ close: [], volume: [] });
    const cumulative = series((index) => feed<number>(obv, { close: candles[index]!.close, volume: candles[index]!.volume }) ?? 0);
    const expected = series((index) => {
      if (index < 20) return undefined;
      let volume = 0;
      for (let back = index - 19; back <= index; back++) volume += candles[back]!.volume;
      return volume === 0 ? 0 : (cumulative[index]! - cumulative[index - 20]!) / volume;
    });
    expectWithin(worstRatio(result, 'obv_slope_20', expected));
  });

  it('matches MFI 14 to its 2 decimals where no typical-price tie is in the window', () => {
    const mfi = new MFI({ period: 14, high: [], low: [], close: [], volume: [] });
    const expected = series((index) => feed<number>(mfi, candles[index]));
    const typical = candles.map((candle) => (candle.high + candle.low + candle.close) / 3);
    const hasTie = (row: number) => {
      for (let index = row - 13; index <= row; index++) if (typical[index] === typical[index - 1]) return true;
      return false;
    };
    const tieRows = Array.from({ length: rows - result.firstWarmRow }, (_, offset) => offset + result.firstWarmRow).filter(hasTie).length;
    expectWithin(worstRatio(result, 'mfi_14', expected, { tolerance: 0.005 + 1e-9, skip: hasTie }), rows - result.firstWarmRow - tieRows);
  });
});
