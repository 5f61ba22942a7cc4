import { decimal, recordId, type Candle, type Position, type RiskState } from '@tradepipe/core';
import { FIXTURE_START_MS, testCandle, testProduct } from '@tradepipe/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createExitPolicy } from './exit-policy.js';

const calm: RiskState = { killSwitch: { engaged: false, mode: 'freeze' }, updatedAtMs: 0 };
const position: Position = {
  productId: 'BTC-USD',
  sizeBase: decimal('1'),
  averageEntryPrice: decimal('100'),
  costBasisQuote: decimal('100'),
  realizedPnlQuote: decimal('0'),
  openedAtMs: FIXTURE_START_MS,
  updatedAtMs: FIXTURE_START_MS,
};
const bar = (index: number, close: number, high = close + 1, low = close - 1): Candle => testCandle({ index, close, open: close, high, low });
const flat = [bar(0, 100), bar(1, 100), bar(2, 100)];
const off = { stopLossAtr: null, takeProfitAtr: null, trailingStopAtr: null, atrPeriod: 3 } as const;

function evaluate(candles: Candle[], options: Parameters<typeof createExitPolicy>[0], overrides: { riskState?: RiskState; nowMs?: number; position?: Position } = {}) {
  const candle = candles.at(-1)!;
  return createExitPolicy(options).evaluate({
    candle,
    position: overrides.position ?? position,
    product: testProduct(),
    recentCandles: candles,
    riskState: overrides.riskState ?? calm,
    pipelineId: 'test',
    nowMs: overrides.nowMs ?? candle.startMs + 3_600_000,
  });
}

describe('createExitPolicy', () => {
  it('fires the stop-loss at entry − k × ATR', () => {
    // TR 2, 2, then max(2, |95 − 100|, |93 − 100|) = 7: ATR(3) = 11/3 = 3.667; stop 100 − 3.667 = 96.33 ≥ 94
    const candles = [...flat, bar(3, 94)];
    const recommendation = evaluate(candles, { ...off, stopLossAtr: 1 });
    expect(recommendation?.origin).toMatchObject({ type: 'exit', rule: 'stop_loss' });
    expect(recommendation).toMatchObject({ side: 'SELL', intent: 'reduce', baseSize: '1', quoteAmount: '94', referencePrice: 94 });
    expect(recommendation!.id).toBe(recordId('recommendation', ['test', 'BTC-USD', 'ONE_HOUR', candles[3]!.startMs, 'exit']));
    expect(evaluate(candles, { ...off, stopLossAtr: 2 })).toBeUndefined(); // stop 92.67 < 94
  });

  it('fires the take-profit at entry + k × ATR', () => {
    // TR 2, 2, max(2, 7, 5) = 7: ATR 3.667; target 103.67 ≤ 106
    expect(evaluate([...flat, bar(3, 106)], { ...off, takeProfitAtr: 1 })?.origin).toMatchObject({ rule: 'take_profit' });
    expect(evaluate([...flat, bar(3, 106)], { ...off, takeProfitAtr: 2 })).toBeUndefined(); // 107.33 > 106
  });

  it('fires the trailing stop below the highest high since entry', () => {
    // TR 11, 11, max(2, |116 − 120|, |114 − 120|) = 6: ATR 28/3 = 9.333; high 121; 121 − 0.5 × 9.333 = 116.33 ≥ 115
    const candles = [bar(0, 100), bar(1, 110), bar(2, 120), bar(3, 115)];
    expect(evaluate(candles, { ...off, trailingStopAtr: 0.5 })?.origin).toMatchObject({ rule: 'trailing_stop' });
    expect(evaluate(candles, { ...off, trailingStopAtr: 1 })).toBeUndefined(); // 111.67 < 115
  });

  it('fires the maximum holding time and flattens on the kill switch in flatten mode only', () => {
    const candles = [...flat, bar(3, 100)];
    expect(evaluate(candles, { ...off, maxHoldingTimeMs: 4 * 3_600_000 })?.origin).toMatchObject({ rule: 'max_holding_time' });
    expect(evaluate(candles, { ...off, maxHoldingTimeMs: 5 * 3_600_000 })).toBeUndefined();
    const flatten = { ...calm, killSwitch: { engaged: true, mode: 'flatten' as const, reason: 'drill' } };
    expect(evaluate(candles, off, { riskState: flatten })?.origin).toMatchObject({ rule: 'kill_switch' });
    expect(evaluate(candles, off, { riskState: { ...flatten, killSwitch: { ...flatten.killSwitch, mode: 'freeze' } } })).toBeUndefined();
  });

  it('sells a fraction rounded down to the increment and nothing when that rounds to zero', () => {
    const candles = [...flat, bar(3, 100)];
    const flatten = { ...calm, killSwitch: { engaged: true, mode: 'flatten' as const } };
    expect(evaluate(candles, { ...off, exitFraction: 0.5 }, { riskState: flatten, position: { ...position, sizeBase: decimal('0.00000003') } })?.baseSize).toBe('0.00000001');
    expect(evaluate(candles, { ...off, exitFraction: 0.5 }, { riskState: flatten, position: { ...position, sizeBase: decimal('0.00000001') } })).toBeUndefined();
    expect(createExitPolicy({ atrPeriod: 14, trailingLookbackCandles: 100 }).lookbackCandles).toBe(100);
    expect(() => createExitPolicy({ atrPeriod: 0 })).toThrow();
  });

  it('uses no candle after the evaluated one (fast-check, seed 8107)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 50, max: 150, noNaN: true }), { minLength: 2, maxLength: 30 }),
        fc.array(fc.double({ min: 1, max: 500, noNaN: true }), { minLength: 1, maxLength: 10 }),
        (closes, future) => {
          const history = closes.map((close, index) => bar(index, close));
          const later = future.map((close, index) => bar(closes.length + index, close));
          const options = { atrPeriod: 3, stopLossAtr: 1, takeProfitAtr: 1.5, trailingStopAtr: 1 };
          const policy = createExitPolicy(options);
          const input = { candle: history.at(-1)!, position, product: testProduct(), riskState: calm, pipelineId: 'test', nowMs: history.at(-1)!.startMs + 3_600_000 };
          expect(policy.evaluate({ ...input, recentCandles: [...history, ...later] })).toEqual(policy.evaluate({ ...input, recentCandles: history }));
        },
      ),
      { seed: 8107, numRuns: 200 },
    );
  });
});
