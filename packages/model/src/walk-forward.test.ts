import { describe, expect, it } from 'vitest';
import { parseWith } from '@tradepipe/core';
import { TrainingOptionsSchema } from './training-options.js';
import { walkForwardEvaluate } from './walk-forward.js';
import { plantedPriceSeries, seededRandom } from './synthetic-fixtures.js';

const options = parseWith(
  TrainingOptionsSchema,
  { labeling: { horizon: 1, buyThreshold: 0.005, sellThreshold: -0.005 }, model: { kind: 'linear' }, walkForward: { folds: 4, minTrainRows: 300 }, feeRateBps: 10 },
  'options',
);

describe('walkForwardEvaluate', () => {
  it('finds a planted tradable signal: well above chance and above buy-and-hold in every fold', () => {
    const series = plantedPriceSeries(1500, 4, 3);
    const report = walkForwardEvaluate({ features: series.rows, closes: series.closes, timestamps: series.timestamps, options });
    expect(report.folds).toHaveLength(4);
    expect(report.meanBalancedAccuracy).toBeGreaterThan(0.8);
    expect(report.meanMacroF1).toBeGreaterThan(0.7);
    expect(report.foldsBeatingBuyAndHold).toBe(4);
    for (const fold of report.folds) {
      expect(fold.split.trainEnd - 1 + options.labeling.horizon).toBeLessThan(fold.split.testStart);
      expect(fold.testFromMs).toBe(series.timestamps[fold.split.testStart]);
      expect(fold.classification.rows).toBe(fold.split.testEnd - fold.split.testStart);
    }
  });

  it('stays near chance on features that carry no information', () => {
    const series = plantedPriceSeries(1500, 4, 4);
    const random = seededRandom(99);
    const noise = series.rows.map((row) => row.map(() => random()));
    const report = walkForwardEvaluate({ features: noise, closes: series.closes, options });
    expect(report.meanBalancedAccuracy).toBeLessThan(0.42);
    expect(report.chanceBalancedAccuracy).toBeCloseTo(1 / 3, 12);
  });
});
