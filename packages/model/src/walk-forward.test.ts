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

  it('sets chance at one over the classes present in each fold: 1/2 when no label is a SELL', () => {
    const series = plantedPriceSeries(1500, 4, 4);
    // Prices that fall only before the first test fold: the training rows hold every class, each test fold's labels
    // only BUY and HOLD, where a constant guess already scores 1/2.
    const rising: number[] = [100];
    for (let index = 1; index < series.closes.length; index += 1) rising.push(rising[index - 1]! * (index % 2 === 0 ? 1.01 : index < 250 ? 0.99 : 1));
    const report = walkForwardEvaluate({ features: series.rows, closes: rising, options });
    for (const fold of report.folds) expect(fold.classification.classesPresent).toBe(2);
    expect(report.chanceBalancedAccuracy).toBeCloseTo(1 / 2, 12);
  });

  it('takes 200,000 rows of several series (no spread of every row onto the call stack)', () => {
    const rows = 200_000;
    const random = seededRandom(7);
    const features = Array.from({ length: rows }, () => [random(), random()]);
    const closes = Array.from({ length: rows }, (_, index) => 100 + Math.sin(index / 50) * 5 + random());
    const seriesIds = Int32Array.from({ length: rows }, (_, index) => index % 2);
    const timestamps = Array.from({ length: rows }, (_, index) => Math.floor(index / 2) * 60_000);
    const large = parseWith(TrainingOptionsSchema, { ...options, walkForward: { folds: 2, minTrainRows: 1_000 } }, 'options');
    const report = walkForwardEvaluate({ features, closes, seriesIds, timestamps, horizonMs: 60_000, options: large });
    expect(report.folds).toHaveLength(2);
  });
});
