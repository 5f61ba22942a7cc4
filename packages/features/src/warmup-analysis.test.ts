import { describe, expect, it } from 'vitest';
import { isTradepipeError } from '@tradepipe/core';
import { FEATURE_NAMES, WARMUP_CANDLES } from './feature-names.js';
import { loadBtcDailyCandles, toColumns } from './test-support/btc-candles.js';
import { randomColumns } from './test-support/random-candles.js';
import { analyzeWarmup } from './warmup-analysis.js';

// The warm-up check (Freqtrade's recursive analysis): how a feature's value at t changes with the length of
// history before t. The declared warm-up must bring every change below 1e-9.
describe('analyzeWarmup', () => {
  it('finds every feature settled below 1e-9 at the declared warm-up on BTC-USD daily candles', () => {
    const analysis = analyzeWarmup({ columns: toColumns(loadBtcDailyCandles()), granularity: 'ONE_DAY', samples: 60 });
    expect(analysis.declaredWarmupCandles).toBe(WARMUP_CANDLES);
    expect(analysis.features.map((feature) => feature.name)).toEqual([...FEATURE_NAMES]);
    expect(analysis.worstChangeAtDeclared, analysis.worstFeatureAtDeclared).toBeLessThan(1e-9);
    // The check can fail: with 100 candles of history the slow averages still remember their seed.
    const at100 = analysis.historyCandles.indexOf(100);
    expect(Math.max(...analysis.features.map((feature) => feature.maxChange[at100]!))).toBeGreaterThan(1e-4);
    // Windowed features settle as soon as their window is full (to rounding: where a running sum is re-summed
    // depends on the start), recursive ones decay with the history.
    const change = (name: string) => analysis.features.find((feature) => feature.name === name)!.maxChange;
    expect(change('close_to_sma_50').every((value) => value < 1e-13)).toBe(true);
    expect(change('close_to_ema_50')[at100]!).toBeGreaterThan(change('close_to_ema_50')[analysis.historyCandles.indexOf(400)]!);
  });

  it('finds the same on random hourly series with falling volatility', () => {
    const columns = randomColumns({ length: 3_000, seed: 5 });
    for (let row = 0; row < 300; row++) {
      // A wild start (10× the range) that the Wilder seeds remember.
      const middle = columns.close[row]!;
      columns.high[row] = Math.max(columns.high[row]!, middle * 1.2);
      columns.low[row] = Math.min(columns.low[row]!, middle * 0.8);
    }
    const analysis = analyzeWarmup({ columns, granularity: 'ONE_HOUR', historyCandles: [200, WARMUP_CANDLES], samples: 20 });
    expect(analysis.worstChangeAtDeclared, analysis.worstFeatureAtDeclared).toBeLessThan(1e-9);
  });

  it('refuses histories shorter than every window and series too short', () => {
    const columns = toColumns(loadBtcDailyCandles().slice(0, 800));
    const code = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return isTradepipeError(error) ? error.code : 'other';
      }
      return undefined;
    };
    expect(code(() => analyzeWarmup({ columns, granularity: 'ONE_DAY', historyCandles: [50] }))).toBe('validation_failed');
    expect(code(() => analyzeWarmup({ columns, granularity: 'ONE_DAY', historyCandles: [900] }))).toBe('validation_failed');
  });
});
