import { GRANULARITIES, TradepipeError, type Candle, type Granularity } from '@tradepipe/core';
import { checkCandleValues } from './candle-checks.js';
import { FeatureKernel } from './feature-kernel.js';
import { FEATURE_COUNT, WARMUP_CANDLES } from './feature-names.js';

/** Candles as columns: element `i` of every array is candle `i`, oldest first, without gaps. */
export interface CandleColumns {
  /** Bucket start of each candle, epoch ms, exactly one granularity apart. */
  readonly startMs: ArrayLike<number>;
  /** Open price of each candle. */
  readonly open: ArrayLike<number>;
  /** High price of each candle. */
  readonly high: ArrayLike<number>;
  /** Low price of each candle. */
  readonly low: ArrayLike<number>;
  /** Close price of each candle. */
  readonly close: ArrayLike<number>;
  /** Volume of each candle, in the base currency (0 for a gap-filled one). */
  readonly volume: ArrayLike<number>;
}

/**
 * Candles as the columns {@link computeFeatureMatrix} and `analyzeWarmup` read (plain arrays, oldest first as
 * given).
 * @example
 * const matrix = computeFeatureMatrix(candleColumns(candles), { granularity: 'ONE_DAY' });
 */
export function candleColumns(candles: readonly Pick<Candle, 'startMs' | 'open' | 'high' | 'low' | 'close' | 'volume'>[]): {
  startMs: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
} {
  return {
    startMs: candles.map((candle) => candle.startMs),
    open: candles.map((candle) => candle.open),
    high: candles.map((candle) => candle.high),
    low: candles.map((candle) => candle.low),
    close: candles.map((candle) => candle.close),
    volume: candles.map((candle) => candle.volume),
  };
}

/** Options of {@link computeFeatureMatrix}. */
export interface FeatureMatrixOptions {
  /** Granularity of the candles: their starts must be exactly one granularity apart. */
  readonly granularity: Granularity;
  /**
   * Where to write the matrix (at least rows × 51 long), to reuse memory across calls; a new array by
   * default. A fresh array of a million rows is 408 MB, and first touching its pages costs about as much
   * as computing the features.
   */
  readonly output?: Float64Array;
}

/** The features of a whole series; see {@link computeFeatureMatrix}. */
export interface FeatureMatrix {
  /** Row-major, `rows × columns`: row `i` is the vector at candle `i`; rows before `firstWarmRow` are NaN. */
  readonly matrix: Float64Array;
  /** Rows of the matrix: one per candle given. */
  readonly rows: number;
  /** Always 51, the length of {@link FEATURE_NAMES}. */
  readonly columns: number;
  /** Index of the first row with a vector (`WARMUP_CANDLES − 1`), or `rows` if the series is shorter. */
  readonly firstWarmRow: number;
}

/**
 * Computes the 51 features for a whole series at once, with the same kernel as the streaming engine:
 * row `i` is bit for bit the vector the engine returns for candle `i` of the same series. The series
 * must be sequenced already (core's `sequenceCandles` fills gaps and drops duplicates).
 * @param columns the candles as columns of equal length
 * @returns the matrix, rows × 51, NaN before the first warm row
 * @throws TradepipeError `validation_failed` for columns of different lengths, a too short `output` or a
 * bad candle (details name the row); `candle_out_of_order` for a start at or before the previous one; `candle_gap` for a
 * missing candle
 * @example
 * const { matrix, firstWarmRow } = computeFeatureMatrix(
 *   { startMs: [0], open: [1], high: [1], low: [1], close: [1], volume: [0] },
 *   { granularity: 'ONE_DAY' },
 * );
 * // firstWarmRow === 1: one candle is far from the 700 needed
 */
export function computeFeatureMatrix(columns: CandleColumns, options: FeatureMatrixOptions): FeatureMatrix {
  const rows = checkColumnLengths(columns);
  const stepMs = GRANULARITIES[options.granularity];
  const { startMs, open, high, low, close, volume } = columns;
  const matrix = outputMatrix(options.output, rows);
  const firstWarmRow = Math.min(rows, WARMUP_CANDLES - 1);
  matrix.fill(Number.NaN, 0, firstWarmRow * FEATURE_COUNT);
  const kernel = new FeatureKernel();
  const values = kernel.values;
  for (let row = 0; row < rows; row++) {
    const start = startMs[row]!;
    try {
      checkCandleValues(start, open[row]!, high[row]!, low[row]!, close[row]!, volume[row]!, stepMs);
    } catch (error) {
      throw withRow(error, row);
    }
    if (row > 0) checkSequence(startMs[row - 1]!, start, stepMs, row);
    if (kernel.step(start, open[row]!, high[row]!, low[row]!, close[row]!, volume[row]!)) {
      const offset = row * FEATURE_COUNT;
      for (let column = 0; column < FEATURE_COUNT; column++) matrix[offset + column] = values[column]!;
    }
  }
  return { matrix, rows, columns: FEATURE_COUNT, firstWarmRow };
}

function outputMatrix(output: Float64Array | undefined, rows: number): Float64Array {
  if (output === undefined) return new Float64Array(rows * FEATURE_COUNT);
  if (output.length < rows * FEATURE_COUNT) {
    throw new TradepipeError('validation_failed', 'Output array is too short for the feature matrix', {
      details: { length: output.length, needed: rows * FEATURE_COUNT },
    });
  }
  return output.length === rows * FEATURE_COUNT ? output : output.subarray(0, rows * FEATURE_COUNT);
}

function checkColumnLengths(columns: CandleColumns): number {
  const rows = columns.startMs.length;
  for (const name of ['open', 'high', 'low', 'close', 'volume'] as const) {
    if (columns[name].length !== rows) {
      throw new TradepipeError('validation_failed', 'Candle columns have different lengths', {
        details: { column: name, expected: rows, received: columns[name].length },
      });
    }
  }
  return rows;
}

function checkSequence(previousStartMs: number, startMs: number, stepMs: number, row: number): void {
  if (startMs === previousStartMs + stepMs) return;
  if (startMs <= previousStartMs) {
    throw new TradepipeError('candle_out_of_order', 'Candle starts at or before the previous one', {
      details: { row, startMs, previousStartMs },
    });
  }
  throw new TradepipeError('candle_gap', 'Candles are missing between two rows; sequence the series first', {
    details: { row, missingCandles: (startMs - previousStartMs) / stepMs - 1, fromStartMs: previousStartMs, toStartMs: startMs },
  });
}

function withRow(error: unknown, row: number): unknown {
  if (!(error instanceof TradepipeError)) return error;
  return new TradepipeError(error.code, error.message, { details: { ...error.details, row } });
}
