import { describe, expect, it } from 'vitest';
import { classificationMetrics, tradingMetrics } from './metrics.js';

describe('classificationMetrics', () => {
  it('computes balanced accuracy, macro F1 and the confusion matrix like scikit-learn', () => {
    const truth = ['BUY', 'BUY', 'SELL', 'HOLD', 'HOLD', 'HOLD', undefined] as const;
    const predicted = ['BUY', 'HOLD', 'SELL', 'HOLD', 'BUY', 'HOLD', 'BUY'] as const;
    const metrics = classificationMetrics(truth, predicted);
    expect(metrics.confusion).toEqual([[1, 0, 0], [0, 2, 1], [0, 1, 1]]);
    expect(metrics.rows).toBe(6);
    expect(metrics.accuracy).toBeCloseTo(4 / 6, 12);
    expect(metrics.balancedAccuracy).toBeCloseTo((1 + 2 / 3 + 1 / 2) / 3, 12);
    // F1: SELL 1, HOLD 2·2/(3+3) = 2/3, BUY 2·1/(2+2) = 1/2.
    expect(metrics.macroF1).toBeCloseTo((1 + 2 / 3 + 1 / 2) / 3, 12);
    expect(metrics.classesPresent).toBe(3);
  });

  it('averages over the classes present: a constant guess scores 1/2 on labels of two classes, not 1/3', () => {
    const truth = ['BUY', 'HOLD', 'HOLD', 'BUY', 'HOLD'] as const;
    const constant = classificationMetrics(truth, ['HOLD', 'HOLD', 'HOLD', 'HOLD', 'HOLD']);
    expect(constant.classesPresent).toBe(2);
    expect(constant.balancedAccuracy).toBeCloseTo(1 / constant.classesPresent, 12);
  });
});

describe('tradingMetrics', () => {
  it('trades long/flat after fees against buy-and-hold', () => {
    const result = tradingMetrics({ closes: [100, 110, 99, 120], actions: ['BUY', 'SELL', 'HOLD', 'HOLD'], start: 0, end: 3, feeRateBps: 100 });
    // Buy at 100 (fee 1 %), earn +10 %, sell (fee 1 %), stay flat.
    expect(result.strategyReturn).toBeCloseTo(0.99 * 1.1 * 0.99 - 1, 12);
    expect(result.buyAndHoldReturn).toBeCloseTo(0.99 * 1.2 - 1, 12);
    expect(result).toMatchObject({ trades: 2, exposure: 1 / 3 });
  });

  it('refuses a range outside the closes', () => {
    expect(() => tradingMetrics({ closes: [1, 2], actions: ['BUY', 'BUY'], start: 0, end: 2, feeRateBps: 0 })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
