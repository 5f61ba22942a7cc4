import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buyAndHoldBaseline, smaCrossoverBaseline } from './baselines.js';
import { computePerformanceMetrics } from './performance.js';
import { dailyCandle, dayMs } from './test-helpers.js';

fc.configureGlobal({ seed: 20261206, numRuns: 100 });

describe('baselines', () => {
  it('buys and holds with the fee taken out of the cash (computed by hand)', () => {
    const run = buyAndHoldBaseline({ candles: [dailyCandle(0, 100, 105), dailyCandle(1, 105, 110)], startingQuote: 1000, costs: { feeRateBps: 100, slippageBps: 0 } });
    // 1000 / 1.01 = 990.099 worth at 100 → 9.90099 BTC, fee 9.90099; × 110 = 1089.1089.
    expect(run.equity.map((p) => p.equityQuote)).toEqual([1000, expect.closeTo((1000 / 1.01) * 1.05, 9), expect.closeTo((1000 / 1.01) * 1.1, 9)]);
    expect(run.executions).toEqual([expect.objectContaining({ side: 'BUY', atMs: dayMs(0), priceQuote: 100, feeQuote: expect.closeTo(1000 - 1000 / 1.01, 9) })]);
  });

  it('pays slippage on the way in', () => {
    const run = buyAndHoldBaseline({ candles: [dailyCandle(0, 100, 100)], startingQuote: 1000, costs: { feeRateBps: 0, slippageBps: 50 } });
    expect(run.equity.at(-1)!.equityQuote).toBeCloseTo(1000 / 1.005, 9);
  });

  it('crosses moving averages at a close and trades at the next open, never before (computed by hand)', () => {
    // History closes 10, 9, 8: fast(2) 8.5 < slow(3) 9 → out. Day 0 closes 12: fast 10 > slow 9.667 → in at day 1's open (12).
    // Day 2 closes 5: fast 9 < slow 10 → out at day 3's open (6). No costs: 1000 / 12 × 6 = 500.
    const history = [dailyCandle(-3, 10, 10), dailyCandle(-2, 9, 9), dailyCandle(-1, 8, 8)];
    const candles = [dailyCandle(0, 8, 12), dailyCandle(1, 12, 13), dailyCandle(2, 13, 5), dailyCandle(3, 6, 6)];
    const run = smaCrossoverBaseline({ history, candles, startingQuote: 1000, costs: { feeRateBps: 0, slippageBps: 0 }, fastWindow: 2, slowWindow: 3 });
    expect(run.name).toBe('sma_2_3');
    expect(run.executions.map((e) => [e.side, e.atMs, e.priceQuote])).toEqual([['BUY', dayMs(1), 12], ['SELL', dayMs(3), 6]]);
    expect(run.equity.map((p) => p.equityQuote)).toEqual([1000, 1000, expect.closeTo(1000 / 12 * 13, 9), expect.closeTo(1000 / 12 * 5, 9), expect.closeTo(500, 9)]);
  });

  it('stays out until the slow average is ready', () => {
    const candles = Array.from({ length: 10 }, (_, index) => dailyCandle(index, 100 + index, 101 + index));
    expect(smaCrossoverBaseline({ candles, startingQuote: 1000, costs: { feeRateBps: 0, slippageBps: 0 }, fastWindow: 2, slowWindow: 20 }).executions).toEqual([]);
  });

  it('gives the same returns when every price is scaled (property)', () => {
    const closes = fc.array(fc.double({ min: 1, max: 1000, noNaN: true }), { minLength: 5, maxLength: 80 });
    fc.assert(
      fc.property(closes, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (values, scale) => {
        const build = (k: number) => values.map((close, index) => dailyCandle(index, (values[index - 1] ?? close) * k, close * k));
        const costs = { feeRateBps: 60, slippageBps: 5 };
        const returns = (k: number) => {
          const sma = smaCrossoverBaseline({ candles: build(k), startingQuote: 1000, costs, fastWindow: 2, slowWindow: 4 });
          const hold = buyAndHoldBaseline({ candles: build(k), startingQuote: 1000, costs });
          return [sma, hold].map((run) => computePerformanceMetrics(run).totalReturnFraction);
        };
        const [a, b] = [returns(1), returns(scale)];
        return a.every((value, index) => Math.abs(value - b[index]!) <= 1e-9 * (1 + Math.abs(value)));
      }),
    );
  });
});
