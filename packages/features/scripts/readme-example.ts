// The README usage example, type-checked by the root tsconfig (never run). Keep in sync with README.md.
/* eslint-disable no-console */
import { computeFeatureMatrix, createFeatureSet, FEATURE_NAMES } from '@tradepipe/features';
import type { Candle } from '@tradepipe/core';

declare const history: Candle[]; // closed, sequenced candles, oldest first
declare const live: AsyncIterable<Candle>;

// Streaming: one engine per series.
const featureSet = createFeatureSet(); // default gap policy: fill up to 1,440 missing candles
const engine = featureSet.createExtractor({ productId: 'BTC-USD', granularity: 'ONE_HOUR' });
for (const candle of history) engine.update(candle);
const saved = JSON.stringify(engine.saveState()); // store it; after a restart:
const resumed = featureSet.createExtractor({ productId: 'BTC-USD', granularity: 'ONE_HOUR' });
resumed.restoreState(JSON.parse(saved));
for await (const candle of live) {
  const vector = resumed.update(candle); // FeatureVector, or undefined while warming up
  if (vector !== undefined) console.log(vector.values[FEATURE_NAMES.indexOf('rsi_14')]);
}

// Batch: columns in, a rows × 51 Float64Array out (rows before warm-up are NaN).
const { matrix, firstWarmRow } = computeFeatureMatrix(
  {
    startMs: history.map((candle) => candle.startMs),
    open: history.map((candle) => candle.open),
    high: history.map((candle) => candle.high),
    low: history.map((candle) => candle.low),
    close: history.map((candle) => candle.close),
    volume: history.map((candle) => candle.volume),
  },
  { granularity: 'ONE_HOUR' },
);
console.log(matrix[firstWarmRow * FEATURE_NAMES.length]); // the first feature of the first warm row

export {};
