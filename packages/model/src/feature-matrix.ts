import { TradepipeError } from '@tradepipe/core';

/** Feature rows as float32, row-major (`values[row * columns + column]`), as onnxruntime sees them. */
export interface FeatureMatrix {
  /** Rows (samples). */
  readonly rows: number;
  /** Columns (features per row). */
  readonly columns: number;
  /** The `rows × columns` values, row-major, float32. */
  readonly values: Float32Array;
}

/** Feature rows given to the trainers: one array of numbers per row, all of the same length. */
export type FeatureRows = readonly ArrayLike<number>[];

/**
 * Copies feature rows into a float32 matrix (the precision onnxruntime runs at).
 * @throws TradepipeError `validation_failed` for ragged rows, no rows, or a value that is not finite
 * (or overflows float32).
 * @internal
 */
export function toFeatureMatrix(features: FeatureRows | FeatureMatrix): FeatureMatrix {
  if (!Array.isArray(features)) {
    const matrix = features as FeatureMatrix;
    if (matrix.rows < 1 || matrix.columns < 1 || matrix.values.length !== matrix.rows * matrix.columns) {
      throw new TradepipeError('validation_failed', 'A feature matrix needs rows × columns values', { details: { rows: matrix.rows, columns: matrix.columns } });
    }
    const bad = matrix.values.findIndex((value) => !Number.isFinite(value));
    if (bad !== -1) throw new TradepipeError('validation_failed', 'A feature value is not finite', { details: { row: Math.floor(bad / matrix.columns), column: bad % matrix.columns } });
    return matrix;
  }
  const rows = features as FeatureRows;
  const columns = rows[0]?.length ?? 0;
  if (rows.length === 0 || columns === 0) throw new TradepipeError('validation_failed', 'No feature rows');
  const values = new Float32Array(rows.length * columns);
  rows.forEach((row, rowIndex) => {
    if (row.length !== columns) throw new TradepipeError('validation_failed', 'Feature rows differ in length', { details: { row: rowIndex } });
    for (let column = 0; column < columns; column += 1) {
      const value = Math.fround(row[column] as number);
      if (!Number.isFinite(value)) throw new TradepipeError('validation_failed', 'A feature value is not finite in float32', { details: { row: rowIndex, column } });
      values[rowIndex * columns + column] = value;
    }
  });
  return { rows: rows.length, columns, values };
}

/** An ONNX Scaler's parameters: `(x - offset) * scale`, both float32. @internal */
export interface Standardization {
  readonly offset: Float32Array;
  readonly scale: Float32Array;
}

/**
 * Mean and inverse standard deviation of each column over `rowIndices`. A constant column (standard
 * deviation ≤ 1e-12 × max(1, |mean|)) gets scale 1, never NaN or Infinity.
 * @internal
 */
export function fitStandardization(matrix: FeatureMatrix, rowIndices: Int32Array): Standardization {
  const { columns, values } = matrix;
  const offset = new Float32Array(columns);
  const scale = new Float32Array(columns);
  for (let column = 0; column < columns; column += 1) {
    let sum = 0;
    for (const row of rowIndices) sum += values[row * columns + column] as number;
    const mean = sum / rowIndices.length;
    let squares = 0;
    for (const row of rowIndices) squares += ((values[row * columns + column] as number) - mean) ** 2;
    const deviation = Math.sqrt(squares / rowIndices.length);
    offset[column] = mean;
    const inverse = deviation > 1e-12 * Math.max(1, Math.abs(mean)) ? 1 / deviation : 1;
    scale[column] = Number.isFinite(Math.fround(inverse)) ? inverse : 1;
  }
  return { offset, scale };
}

/**
 * Applies a standardization as onnxruntime's float32 Scaler does, into `target`.
 * @internal
 */
export function standardizeRow(values: Float32Array, start: number, standardization: Standardization, target: Float64Array): void {
  const { offset, scale } = standardization;
  for (let column = 0; column < offset.length; column += 1) {
    target[column] = Math.fround(Math.fround((values[start + column] as number) - (offset[column] as number)) * (scale[column] as number));
  }
}
