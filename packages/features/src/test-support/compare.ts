import { FEATURE_NAMES, type FeatureName } from '../feature-names.js';
import type { FeatureMatrix } from '../feature-matrix.js';

/** The largest |a − b| / (tolerance · max(1, |b|)) over rows `from…` of one feature; ≤ 1 means within tolerance. @internal */
export function worstRatio(
  result: FeatureMatrix,
  name: FeatureName,
  expected: ArrayLike<number>,
  options: { tolerance?: number; from?: number; skip?: (row: number) => boolean } = {},
): { ratio: number; row: number; actual: number; expected: number; compared: number } {
  const { tolerance = 1e-9, from = result.firstWarmRow, skip } = options;
  const column = FEATURE_NAMES.indexOf(name);
  let worst = { ratio: 0, row: -1, actual: 0, expected: 0, compared: 0 };
  let compared = 0;
  for (let row = from; row < result.rows; row++) {
    if (skip?.(row) === true) continue;
    const actual = result.matrix[row * result.columns + column]!;
    const reference = expected[row]!;
    const ratio = Math.abs(actual - reference) / (tolerance * Math.max(1, Math.abs(reference)));
    compared += 1;
    if (!(ratio <= worst.ratio)) worst = { ratio, row, actual, expected: reference, compared: 0 };
  }
  return { ...worst, compared };
}

/** One column of a feature matrix. @internal */
export function featureColumn(result: FeatureMatrix, name: FeatureName): Float64Array {
  const column = FEATURE_NAMES.indexOf(name);
  const values = new Float64Array(result.rows);
  for (let row = 0; row < result.rows; row++) values[row] = result.matrix[row * result.columns + column]!;
  return values;
}
