import { GRANULARITIES, TradepipeError, createFeatureView, parseWith, sequenceCandles } from '@tradepipe/core';
import type { Candle, FeatureSet, Granularity, SignalAction } from '@tradepipe/core';
import { z } from 'zod';
import { makeForwardReturnLabels } from './labels.js';
import { ModelSpecSchema } from './training-options.js';
import { trainSignalModel } from './train-signal-model.js';
import type { TrainSignalModelResult } from './train-signal-model.js';

/** One product's candles at the model's granularity, any order (they are sequenced, gaps filled). */
export interface CandleSeries {
  /** The product the candles are of, e.g. `BTC-USD`: the feature extractor and the model metadata name it. */
  readonly productId: string;
  /** The candle size; every series of one training must share it. */
  readonly granularity: Granularity;
  /** The closed candles, any order: sorted, exact duplicates dropped and gaps filled before the features are computed. */
  readonly candles: readonly Candle[];
}

/**
 * zod schema of {@link trainModelFromCandles}'s settings, every horizon and window a duration: the label
 * horizon (`horizonMs`, a whole number of candles), the walk-forward's smallest training window
 * (`minTrainMs`) and optional rolling window (`trainWindowMs`).
 */
export const CandleTrainingOptionsSchema = z
  .object({
    labeling: z.object({ horizonMs: z.number().int().positive(), buyThreshold: z.number().finite(), sellThreshold: z.number().finite() }).strict(),
    model: ModelSpecSchema,
    classWeights: z.union([z.enum(['balanced', 'none']), z.object({ BUY: z.number().nonnegative(), SELL: z.number().nonnegative(), HOLD: z.number().nonnegative() })]).default('balanced'),
    walkForward: z.object({ folds: z.number().int().positive().default(5), minTrainMs: z.number().int().positive(), trainWindowMs: z.number().int().positive().optional() }).strict().optional(),
    feeRateBps: z.number().nonnegative().default(60),
    minConfidence: z.number().min(0).max(1).default(0),
    modelId: z.string().min(1).default('tradepipe-model'),
    modelVersion: z.string().min(1).default('0.1.0'),
  })
  .strict();

/** Settings of {@link trainModelFromCandles} as written by a caller; see {@link CandleTrainingOptionsSchema}. */
export type CandleTrainingOptions = z.input<typeof CandleTrainingOptionsSchema>;

/** Input of {@link trainModelFromCandles}. */
export interface TrainModelFromCandlesInput extends CandleTrainingOptions {
  /** The feature set to compute (e.g. `createFeatureSet()` of `@tradepipe/features`, or a composed set). */
  readonly featureSet: FeatureSet;
  /** The features the model reads, by name (default: all of the set's; a daily model: `defaultModelFeatureNames('ONE_DAY')`). */
  readonly featureNames?: readonly string[];
  /** One or more products at one granularity; several are pooled into one model. */
  readonly series: readonly CandleSeries[];
}

interface SeriesRows {
  readonly values: Float32Array;
  readonly closes: number[];
  readonly timestamps: number[];
  readonly labels: (SignalAction | undefined)[];
}

/**
 * Trains a model from candles: of one product, or of several pooled into one model (their rows sorted by
 * time; each series labelled, and traded in the walk-forward, on its own). Computes the feature set on
 * each series, picks the model's features by name, labels each candle from its forward return over
 * `horizonMs`, evaluates walk-forward (folds purged by time, so no training label reads a close of the
 * test block) and trains the final model on every labelled row. The model records its products,
 * granularity, horizon, thresholds, training range, feature names and version, training code version and
 * walk-forward figures; loading it for another product or granularity is refused unless opted in.
 * Leave a hold-out out of `candles`: nothing after the last candle given is read.
 * @returns the model, its ONNX bytes and a report (as `trainSignalModel`)
 * @throws TradepipeError `validation_failed` for bad settings, series of different granularities, a
 * horizon or window that is not a whole number of candles, a feature the set lacks, or too few candles
 * @example
 * const { onnx, report } = trainModelFromCandles({
 *   featureSet: createFeatureSet(),
 *   featureNames: defaultModelFeatureNames('ONE_DAY'),
 *   series: [{ productId: 'BTC-USD', granularity: 'ONE_DAY', candles }],
 *   labeling: { horizonMs: 5 * 86_400_000, buyThreshold: 0.03, sellThreshold: -0.03 },
 *   model: { kind: 'linear', l2: 0.1 },
 *   walkForward: { folds: 5, minTrainMs: 1000 * 86_400_000 },
 * });
 */
export function trainModelFromCandles(input: TrainModelFromCandlesInput): TrainSignalModelResult {
  const { featureSet, series, featureNames: chosenNames, ...rest } = input;
  const settings = parseWith(CandleTrainingOptionsSchema, rest, 'training settings');
  const granularity = series[0]?.granularity;
  if (granularity === undefined || series.some((one) => one.granularity !== granularity)) {
    throw new TradepipeError('validation_failed', 'Give at least one series, all at one granularity', { details: { series: series.length } });
  }
  const stepMs = GRANULARITIES[granularity];
  const candlesOf = (durationMs: number, name: string): number => {
    if (durationMs % stepMs !== 0) throw new TradepipeError('validation_failed', `${name} is not a whole number of ${granularity} candles`, { details: { [name]: durationMs, stepMs } });
    return durationMs / stepMs;
  };
  const horizon = candlesOf(settings.labeling.horizonMs, 'horizonMs');
  const featureNames = chosenNames ?? featureSet.featureNames;
  const view = createFeatureView(featureSet, { featureNames, featureSetVersion: featureSet.featureSetVersion });
  const labeling = { horizon, buyThreshold: settings.labeling.buyThreshold, sellThreshold: settings.labeling.sellThreshold };
  const perSeries = series.map((one) => seriesRows(featureSet, one, view.columns, labeling));
  const pooled = poolRows(perSeries, view.columns.length);
  const { walkForward } = settings;
  return trainSignalModel({
    features: { rows: pooled.timestamps.length, columns: view.columns.length, values: pooled.values },
    closes: pooled.closes,
    timestamps: pooled.timestamps,
    labels: pooled.labels,
    featureNames,
    featureSetVersion: featureSet.featureSetVersion,
    horizonMs: settings.labeling.horizonMs,
    products: series.map((one) => one.productId),
    periodsPerYear: (365 * 86_400_000) / stepMs,
    ...(series.length > 1 ? { seriesIds: pooled.seriesIds } : {}),
    options: {
      labeling,
      model: settings.model,
      classWeights: settings.classWeights,
      feeRateBps: settings.feeRateBps,
      minConfidence: settings.minConfidence,
      modelId: settings.modelId,
      modelVersion: settings.modelVersion,
      granularity,
      ...(walkForward === undefined
        ? {}
        : {
            walkForward: {
              folds: walkForward.folds,
              minTrainRows: candlesOf(walkForward.minTrainMs, 'minTrainMs') * series.length,
              ...(walkForward.trainWindowMs === undefined ? {} : { trainWindowRows: candlesOf(walkForward.trainWindowMs, 'trainWindowMs') * series.length }),
            },
          }),
    },
  });
}

/** Features (the model's columns), closes, starts and labels of one series' warm candles. */
function seriesRows(featureSet: FeatureSet, series: CandleSeries, columns: Int32Array, labeling: { horizon: number; buyThreshold: number; sellThreshold: number }): SeriesRows {
  const extractor = featureSet.createExtractor({ productId: series.productId, granularity: series.granularity });
  const values: number[] = [];
  const closes: number[] = [];
  const timestamps: number[] = [];
  for (const candle of sequenceCandles(series.candles)) {
    const vector = extractor.update(candle);
    if (vector === undefined) continue;
    for (const column of columns) values.push(vector.values[column]!);
    closes.push(candle.close);
    timestamps.push(candle.startMs);
  }
  if (closes.length <= labeling.horizon) {
    throw new TradepipeError('validation_failed', 'Too few candles after the feature warm-up to label any', { details: { productId: series.productId, warmRows: closes.length } });
  }
  return { values: Float32Array.from(values), closes, timestamps, labels: makeForwardReturnLabels(closes, labeling) };
}

/** The rows of every series in one table, sorted by time (then by series), with each row's series. */
function poolRows(perSeries: readonly SeriesRows[], width: number) {
  const order: [number, number][] = [];
  perSeries.forEach((rows, series) => rows.timestamps.forEach((_, row) => order.push([series, row])));
  order.sort(([seriesA, rowA], [seriesB, rowB]) => perSeries[seriesA]!.timestamps[rowA]! - perSeries[seriesB]!.timestamps[rowB]! || seriesA - seriesB);
  const values = new Float32Array(order.length * width);
  const closes: number[] = [];
  const timestamps: number[] = [];
  const labels: (SignalAction | undefined)[] = [];
  const seriesIds = new Int32Array(order.length);
  order.forEach(([series, row], index) => {
    const rows = perSeries[series]!;
    values.set(rows.values.subarray(row * width, (row + 1) * width), index * width);
    closes.push(rows.closes[row]!);
    timestamps.push(rows.timestamps[row]!);
    labels.push(rows.labels[row]);
    seriesIds[index] = series;
  });
  return { values, closes, timestamps, labels, seriesIds };
}
