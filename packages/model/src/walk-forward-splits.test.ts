import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { walkForwardSplits } from './walk-forward-splits.js';

describe('walkForwardSplits', () => {
  it('matches the documented example', () => {
    expect(walkForwardSplits({ rowCount: 1000, horizon: 5, folds: 4, minTrainRows: 400 })[0]).toEqual({ trainStart: 0, trainEnd: 400, testStart: 405, testEnd: 552 });
  });

  it('property: no training label horizon reaches a test row, test blocks tile in order (seed 7)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 3000 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 400 }),
        fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
        (rowCount, horizon, extraPurge, folds, minTrainRows, trainWindowRows) => {
          let splits;
          try {
            splits = walkForwardSplits({ rowCount, horizon, folds, minTrainRows, purgeRows: horizon + extraPurge, ...(trainWindowRows === undefined ? {} : { trainWindowRows }) });
          } catch (error) {
            expect(error).toMatchObject({ code: 'validation_failed' });
            return;
          }
          expect(splits).toHaveLength(folds);
          splits.forEach((split, index) => {
            // The last training row's label uses the close of row trainEnd - 1 + horizon: before the test block.
            expect(split.trainEnd - 1 + horizon).toBeLessThan(split.testStart);
            expect(split.testStart - split.trainEnd).toBeGreaterThanOrEqual(horizon + extraPurge);
            expect(split.trainEnd - split.trainStart).toBeGreaterThanOrEqual(1);
            expect(split.testEnd).toBeGreaterThan(split.testStart);
            // Every test label is computable: its horizon ends inside the data.
            expect(split.testEnd - 1 + horizon).toBeLessThan(rowCount);
            if (index > 0) expect(split.testStart).toBe(splits[index - 1]?.testEnd);
          });
        },
      ),
      { seed: 7, numRuns: 500 },
    );
  });

  it('refuses a purge shorter than the horizon and too few rows', () => {
    expect(() => walkForwardSplits({ rowCount: 1000, horizon: 5, purgeRows: 3, folds: 2, minTrainRows: 100 })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(() => walkForwardSplits({ rowCount: 100, horizon: 5, folds: 10, minTrainRows: 95 })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
