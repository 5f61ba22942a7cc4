import { describe, expect, it } from 'vitest';
import { exportToOnnx } from './onnx-export.js';
import { readModelMetadata } from './model-metadata.js';
import { encodeOnnxModel } from './onnx-proto.js';
import { trainLinearClassifier } from './linear-classifier.js';
import { plantedLinearData } from './synthetic-fixtures.js';

const data = plantedLinearData(300, 4, 1);
const model = trainLinearClassifier({ features: data.rows, labels: data.labels });

describe('readModelMetadata', () => {
  it('reads back everything the exporter writes', () => {
    const bytes = exportToOnnx(model, {
      modelId: 'm',
      modelVersion: '2',
      featureNames: ['a', 'b', 'c', 'd'],
      featureSetVersion: 'fs-1',
      granularity: 'ONE_HOUR',
      labeling: { horizon: 3, buyThreshold: 0.01, sellThreshold: -0.01 },
      trainingRange: { fromMs: 1, toMs: 2, rows: 300 },
      metrics: { balancedAccuracy: 0.5 },
    });
    expect(readModelMetadata(bytes)).toMatchObject({
      irVersion: 8,
      producerName: 'tradepipe',
      opsets: [{ domain: '', version: 17 }, { domain: 'ai.onnx.ml', version: 3 }],
      modelId: 'm',
      modelVersion: '2',
      featureNames: ['a', 'b', 'c', 'd'],
      featureSetVersion: 'fs-1',
      granularity: 'ONE_HOUR',
      labelMap: { '-1': 'SELL', '0': 'HOLD', '1': 'BUY' },
      labeling: { horizon: 3, buyThreshold: 0.01, sellThreshold: -0.01 },
      trainingRange: { fromMs: 1, toMs: 2, rows: 300 },
      metrics: { balancedAccuracy: 0.5 },
      trainer: 'linear',
    });
  });

  it('keeps unknown properties and refuses malformed tradepipe ones', () => {
    const header = { irVersion: 8, opsetImport: [], graph: { node: [], input: [{ name: 'x' }], output: [{ name: 'y' }] } };
    const withExtra = encodeOnnxModel({ ...header, metadataProps: [{ key: 'author', value: 'me' }] });
    expect(readModelMetadata(withExtra).properties).toEqual({ author: 'me' });
    const malformed = encodeOnnxModel({ ...header, metadataProps: [{ key: 'feature_names', value: '[oops' }] });
    expect(() => readModelMetadata(malformed)).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    const badGranularity = encodeOnnxModel({ ...header, metadataProps: [{ key: 'granularity', value: 'DAILY' }] });
    expect(() => readModelMetadata(badGranularity)).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    // A training range a backtest report could not show: reversed, or past what a Date holds.
    for (const range of [{ fromMs: 2, toMs: 1, rows: 1 }, { fromMs: 0, toMs: 1e16, rows: 1 }]) {
      const badRange = encodeOnnxModel({ ...header, metadataProps: [{ key: 'training_range', value: JSON.stringify(range) }] });
      expect(() => readModelMetadata(badRange), JSON.stringify(range)).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    }
  });

  it('refuses bytes that are not a model', () => {
    expect(() => readModelMetadata(new TextEncoder().encode('not a model at all'))).toThrow(expect.objectContaining({ code: 'model_failed' }));
    expect(() => exportToOnnx(model, { featureNames: ['a'], featureSetVersion: 'x' })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
