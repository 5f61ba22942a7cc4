import { TradepipeError, type Granularity } from '@tradepipe/core';
import { computeFeatureMatrix, type CandleColumns } from './feature-matrix.js';
import { FeatureKernel } from './feature-kernel.js';
import { FEATURE_COUNT, FEATURE_NAMES, WARMUP_CANDLES } from './feature-names.js';

/** The shortest history the analysis measures: every indicator's own window (61 candles) is full. */
const SHORTEST_HISTORY_CANDLES = 61;

/** Options of {@link analyzeWarmup}. */
export interface WarmupAnalysisOptions {
  /** A sequenced series (no gaps), oldest first, longer than the longest history measured. */
  readonly columns: CandleColumns;
  /** Granularity of the candles (they are checked as `computeFeatureMatrix` checks them). */
  readonly granularity: Granularity;
  /**
   * History lengths to measure, in candles, each at least 61 (default 100, 200, … 1,000 and the declared
   * {@link WARMUP_CANDLES}).
   */
  readonly historyCandles?: readonly number[];
  /** How many end candles t to sample, spread evenly over the series (default 40). */
  readonly samples?: number;
}

/** How much one feature's value at t still depends on where its history starts. */
export interface FeatureWarmupChange {
  /** The feature's name. */
  readonly name: string;
  /** For each history length (same order as {@link WarmupAnalysis.historyCandles}), the largest change. */
  readonly maxChange: readonly number[];
}

/** The result of {@link analyzeWarmup}. */
export interface WarmupAnalysis {
  /** The history lengths measured, ascending, in candles. */
  readonly historyCandles: readonly number[];
  /** End candles sampled. */
  readonly samples: number;
  /** One entry per feature of the set, in the set's order. */
  readonly features: readonly FeatureWarmupChange[];
  /** The warm-up the feature set declares. */
  readonly declaredWarmupCandles: number;
  /** The largest change over every feature with the declared warm-up. */
  readonly worstChangeAtDeclared: number;
  /** The feature with that change. */
  readonly worstFeatureAtDeclared: string;
}

/**
 * The warm-up check (what Freqtrade calls recursive analysis): for each feature, how its value at a candle
 * t changes when only the last L candles up to t are given instead of the whole series before t. The
 * change is |a − b| / max(1, |b|), b the value from the whole history (absolute below 1, relative
 * above), the largest over the sampled t. The declared warm-up is good when every change at L =
 * {@link WARMUP_CANDLES} is below 1e-9.
 * @returns the changes per feature and history length, and the worst one at the declared warm-up
 * @throws TradepipeError `validation_failed` if a history is below 61 candles, the series is too short or a
 * candle is bad; `candle_gap`, `candle_out_of_order` for an unsequenced series
 * @example
 * const analysis = analyzeWarmup({ columns, granularity: 'ONE_DAY' });
 * analysis.worstChangeAtDeclared < 1e-9; // the declared warm-up is long enough on this series
 */
export function analyzeWarmup(options: WarmupAnalysisOptions): WarmupAnalysis {
  const lengths = [...new Set(options.historyCandles ?? [100, 200, 300, 400, 500, 600, WARMUP_CANDLES, 800, 900, 1_000])].sort((a, b) => a - b);
  const longest = lengths[lengths.length - 1] ?? 0;
  const rows = options.columns.close.length;
  if (lengths.length === 0 || (lengths[0] ?? 0) < SHORTEST_HISTORY_CANDLES || !lengths.every(Number.isSafeInteger)) {
    throw new TradepipeError('validation_failed', 'Each history length must be a whole number of at least 61 candles', { details: { shortest: lengths[0] ?? 0 } });
  }
  if (rows < longest + 2) {
    throw new TradepipeError('validation_failed', 'The series must be longer than the longest history measured', { details: { rows, longest } });
  }
  computeFeatureMatrix(options.columns, { granularity: options.granularity }); // validates every candle and the sequence
  const full = fullHistoryMatrix(options.columns);
  const samples = Math.max(1, Math.floor(options.samples ?? 40));
  const maxChange = FEATURE_NAMES.map(() => new Array<number>(lengths.length).fill(0));
  const values = new Float64Array(FEATURE_COUNT);
  for (let sample = 0; sample < samples; sample++) {
    // t spread evenly over [longest, rows − 1]: the whole history is longer than every length measured.
    const t = longest + Math.floor(((rows - 1 - longest) * sample) / Math.max(1, samples - 1));
    lengths.forEach((length, lengthIndex) => {
      valuesWithHistory(options.columns, t, length, values);
      for (let column = 0; column < FEATURE_COUNT; column++) {
        const reference = full[t * FEATURE_COUNT + column]!;
        const change = Math.abs(values[column]! - reference) / Math.max(1, Math.abs(reference));
        const row = maxChange[column]!;
        if (!(change <= row[lengthIndex]!)) row[lengthIndex] = change;
      }
    });
  }
  return summarize(lengths, samples, maxChange);
}

function summarize(lengths: readonly number[], samples: number, maxChange: number[][]): WarmupAnalysis {
  const declaredIndex = lengths.indexOf(WARMUP_CANDLES);
  let worstChangeAtDeclared = Number.NaN;
  let worstFeatureAtDeclared = '';
  if (declaredIndex !== -1) {
    worstChangeAtDeclared = 0;
    maxChange.forEach((changes, column) => {
      if (!(changes[declaredIndex]! <= worstChangeAtDeclared)) {
        worstChangeAtDeclared = changes[declaredIndex]!;
        worstFeatureAtDeclared = FEATURE_NAMES[column]!;
      }
    });
  }
  return {
    historyCandles: lengths,
    samples,
    features: FEATURE_NAMES.map((name, column) => ({ name, maxChange: maxChange[column]! })),
    declaredWarmupCandles: WARMUP_CANDLES,
    worstChangeAtDeclared,
    worstFeatureAtDeclared,
  };
}

function fullHistoryMatrix(columns: CandleColumns): Float64Array {
  const kernel = new FeatureKernel(SHORTEST_HISTORY_CANDLES);
  const rows = columns.close.length;
  const matrix = new Float64Array(rows * FEATURE_COUNT);
  for (let row = 0; row < rows; row++) {
    if (step(kernel, columns, row)) matrix.set(kernel.values, row * FEATURE_COUNT);
  }
  return matrix;
}

function valuesWithHistory(columns: CandleColumns, t: number, length: number, target: Float64Array): void {
  const kernel = new FeatureKernel(SHORTEST_HISTORY_CANDLES);
  for (let row = t - length + 1; row <= t; row++) step(kernel, columns, row);
  target.set(kernel.values);
}

function step(kernel: FeatureKernel, columns: CandleColumns, row: number): boolean {
  return kernel.step(columns.startMs[row]!, columns.open[row]!, columns.high[row]!, columns.low[row]!, columns.close[row]!, columns.volume[row]!);
}
