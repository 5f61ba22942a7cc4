import type { Candle } from '@tradepipe/core';
import { FEATURE_NAMES, FEATURE_SET_VERSION, createFeatureSet } from '@tradepipe/features';
import { trainSignalModel, type TrainSignalModelResult, type TrainingOptionsInput } from '@tradepipe/model';

/** Feature rows of candles (one per candle once the features are warm), with each row's close and start. */
export function featureRows(candles: readonly Candle[]): { rows: number[][]; closes: number[]; timestamps: number[] } {
  const first = candles[0]!;
  const extractor = createFeatureSet().createExtractor({ productId: first.productId, granularity: first.granularity });
  const rows: number[][] = [];
  const closes: number[] = [];
  const timestamps: number[] = [];
  for (const candle of candles) {
    const vector = extractor.update(candle);
    if (vector === undefined) continue;
    rows.push([...vector.values]);
    closes.push(candle.close);
    timestamps.push(candle.startMs);
  }
  return { rows, closes, timestamps };
}

/**
 * Trains a model from candles through today's `@tradepipe/model` training API: the 51 features computed over
 * the candles in order, forward-return labels, an optional walk-forward evaluation, ONNX export.
 * @throws TradepipeError `validation_failed` when too few rows remain or the options do not parse
 */
export function trainFromCandles(candles: readonly Candle[], options: TrainingOptionsInput): TrainSignalModelResult {
  const { rows, closes, timestamps } = featureRows(candles);
  return trainSignalModel({ features: rows, closes, timestamps, featureNames: FEATURE_NAMES, featureSetVersion: FEATURE_SET_VERSION, options });
}
