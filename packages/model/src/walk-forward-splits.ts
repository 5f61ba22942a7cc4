import { TradepipeError } from '@tradepipe/core';

/** One walk-forward fold: train on `[trainStart, trainEnd)`, test on `[testStart, testEnd)` (row indices). */
export interface WalkForwardSplit {
  /** First training row (inclusive). */
  readonly trainStart: number;
  /** End of the training rows (exclusive); `testStart − trainEnd` rows are purged between them. */
  readonly trainEnd: number;
  /** First test row (inclusive). */
  readonly testStart: number;
  /** End of the test rows (exclusive). */
  readonly testEnd: number;
}

/** Options of {@link walkForwardSplits}. */
export interface WalkForwardSplitOptions {
  /** Rows of features (and closes). */
  readonly rowCount: number;
  /** Label horizon in rows: the label of row `i` uses the close of row `i + horizon`. */
  readonly horizon: number;
  /** How many consecutive test blocks (folds) to make; the last one takes the remainder rows. */
  readonly folds: number;
  /** Rows dropped between training and test, at least (and by default) `horizon`. */
  readonly purgeRows?: number;
  /** Smallest training set (rows) of the first fold. */
  readonly minTrainRows: number;
  /** Keep only the last `trainWindowRows` rows of training (rolling); default: expanding from row 0. */
  readonly trainWindowRows?: number;
}

/**
 * Walk-forward folds over the labelled rows `[0, rowCount - horizon)`: the test blocks tile the rows
 * after the first training set, in time order, and each fold trains only on rows before its test block
 * minus a purge gap, so that no training label's horizon (`i … i + horizon`) reaches a test row.
 * @returns the folds, oldest first
 * @throws TradepipeError `validation_failed` if the rows cannot hold the folds, or the purge is
 * shorter than the horizon.
 * @example
 * walkForwardSplits({ rowCount: 1000, horizon: 5, folds: 4, minTrainRows: 400 });
 * // [{ trainStart: 0, trainEnd: 400, testStart: 405, testEnd: 552 }, …]
 */
export function walkForwardSplits(options: WalkForwardSplitOptions): WalkForwardSplit[] {
  const { rowCount, horizon, folds, minTrainRows } = options;
  const purge = options.purgeRows ?? horizon;
  if (!Number.isInteger(horizon) || horizon < 1 || !Number.isInteger(purge) || purge < horizon) {
    throw new TradepipeError('validation_failed', 'The purge must be an integer of at least the label horizon', { details: { horizon, purge } });
  }
  if (!Number.isInteger(folds) || folds < 1 || !Number.isInteger(minTrainRows) || minTrainRows < 1) {
    throw new TradepipeError('validation_failed', 'folds and minTrainRows must be positive integers', { details: { folds, minTrainRows } });
  }
  const labelledEnd = rowCount - horizon;
  const firstTest = minTrainRows + purge;
  const testRows = Math.floor((labelledEnd - firstTest) / folds);
  if (testRows < 1) {
    throw new TradepipeError('validation_failed', 'Not enough rows for these walk-forward folds', { details: { rowCount, horizon, folds, minTrainRows } });
  }
  const splits: WalkForwardSplit[] = [];
  for (let fold = 0; fold < folds; fold += 1) {
    const testStart = firstTest + fold * testRows;
    const testEnd = fold === folds - 1 ? labelledEnd : testStart + testRows;
    const trainEnd = testStart - purge;
    const trainStart = options.trainWindowRows === undefined ? 0 : Math.max(0, trainEnd - options.trainWindowRows);
    splits.push({ trainStart, trainEnd, testStart, testEnd });
  }
  return splits;
}
