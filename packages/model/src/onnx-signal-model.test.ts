import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREDICTION_ACTIONS, createFeatureView, type FeatureRows, type ModelPrediction, type TradepipeError } from '@tradepipe/core';
import { trainLinearClassifier } from './linear-classifier.js';
import { exportToOnnx } from './onnx-export.js';
import { OnnxSignalModel } from './onnx-signal-model.js';
import { featureNamesOf, plantedLinearData, toVectors } from './synthetic-fixtures.js';

const names = featureNamesOf(6);
const data = plantedLinearData(1500, 6, 5);
const model = trainLinearClassifier({ features: data.rows, labels: data.labels });
const bytes = exportToOnnx(model, { featureNames: names, featureSetVersion: 'v1', granularity: 'ONE_DAY', modelId: 'planted', modelVersion: '1.2.3' });
const base = { bytes, expectedFeatureNames: names, expectedFeatureSetVersion: 'v1', expectedGranularity: 'ONE_DAY' } as const;

async function refusal(promise: Promise<unknown>): Promise<TradepipeError> {
  try {
    await promise;
  } catch (error) {
    return error as TradepipeError;
  }
  throw new Error('expected a refusal');
}

/** `predictRows` into fresh columns, read back as the predictions they hold (`undefined` when the rows were not taken). */
async function predictedRows(model: OnnxSignalModel, rows: FeatureRows): Promise<ModelPrediction[] | undefined> {
  const into = { actions: new Uint8Array(rows.count), confidences: new Float64Array(rows.count), probabilities: new Float64Array(3 * rows.count) };
  if (!(await model.predictRows(rows, into))) return undefined;
  return Array.from(into.actions, (code, row) => ({
    action: PREDICTION_ACTIONS[code]!,
    confidence: into.confidences[row]!,
    probabilities: { BUY: into.probabilities[3 * row]!, SELL: into.probabilities[3 * row + 1]!, HOLD: into.probabilities[3 * row + 2]! },
  }));
}

describe('OnnxSignalModel.load', () => {
  it('reads ids and contract from the metadata', async () => {
    const loaded = await OnnxSignalModel.load(base);
    expect(loaded).toMatchObject({ modelId: 'planted', modelVersion: '1.2.3', featureSetVersion: 'v1', granularity: 'ONE_DAY', featureNames: names });
    await loaded.close();
  });

  it('refuses a model that reads features the pipeline does not give, naming them', async () => {
    const error = await refusal(OnnxSignalModel.load({ ...base, expectedFeatureNames: [...names.slice(0, 5), 'rsi_14'] }));
    expect(error.code).toBe('model_mismatch');
    expect(error.message).toContain("'f5'");
    expect(error.message).not.toContain("'rsi_14'");
    expect((await refusal(OnnxSignalModel.load({ ...base, expectedFeatureNames: names.slice(0, 5) }))).message).toContain("'f5'");
  });

  it('reads its features by name from a set that gives more of them, in another order', async () => {
    const set = ['extra_a', ...[...names].reverse(), 'extra_b'];
    const loaded = await OnnxSignalModel.load({ ...base, expectedFeatureNames: set });
    const direct = await OnnxSignalModel.load(base);
    const own = toVectors(data.rows.slice(0, 50), 'v1');
    // The set's whole vectors: the model picks its six values out by name.
    const whole = own.map((vector) => ({ ...vector, values: [7, ...[...vector.values].reverse(), -7] }));
    expect(await loaded.predictBatch(whole)).toEqual(await direct.predictBatch(own));
    expect(await loaded.predictBatch(own)).toEqual(await direct.predictBatch(own));
    await loaded.close();
    await direct.close();
  });

  it('reads the pipeline\'s view of a set whose every feature it reads in another order (same width and version) without reordering it twice', async () => {
    // The set: the model's six features in another order, under the model's version: the view has the set's shape.
    const set = [names[1]!, names[2]!, names[0]!, names[4]!, names[5]!, names[3]!];
    const permuted = await OnnxSignalModel.load({ ...base, expectedFeatureNames: set });
    const direct = await OnnxSignalModel.load(base);
    const own = toVectors(data.rows.slice(0, 50), 'v1');
    const setVectors = own.map((vector) => ({ ...vector, values: set.map((name) => vector.values[names.indexOf(name)]!) }));
    const view = createFeatureView({ featureNames: set, featureSetVersion: 'v1' }, permuted);
    const expected = await direct.predictBatch(own);
    // As the pipeline hands it (the model's view), as a caller hands it (the set's vector), and as rows of the set.
    expect(await permuted.predictBatch(setVectors.map((vector) => view.project(vector)))).toEqual(expected);
    expect(await permuted.predictBatch(setVectors)).toEqual(expected);
    const values = Float64Array.from(setVectors.flatMap((vector) => vector.values));
    expect(await predictedRows(permuted, { values, count: setVectors.length, width: set.length, featureSetVersion: 'v1', productId: 'BTC-USD', granularity: 'ONE_DAY' })).toEqual(expected);
    await permuted.close();
    await direct.close();
  });

  it('refuses another feature-set version', async () => {
    const error = await refusal(OnnxSignalModel.load({ ...base, expectedFeatureSetVersion: 'v2' }));
    expect(error.code).toBe('model_mismatch');
    expect(error.message).toContain("trained on feature set 'v1', the pipeline computes 'v2'");
  });

  it('refuses another granularity', async () => {
    const error = await refusal(OnnxSignalModel.load({ ...base, expectedGranularity: 'ONE_HOUR' }));
    expect(error.code).toBe('model_mismatch');
    expect(error.details).toMatchObject({ modelGranularity: 'ONE_DAY', givenGranularity: 'ONE_HOUR' });
  });

  it('refuses a model without feature metadata, bad bytes and bad options', async () => {
    const bare = exportToOnnx(model, { featureNames: names, featureSetVersion: 'v1' });
    expect((await refusal(OnnxSignalModel.load({ ...base, bytes: bare }))).code).toBe('model_mismatch');
    expect((await refusal(OnnxSignalModel.load({ ...base, bytes: new Uint8Array([1, 2, 3, 4]) }))).code).toBe('model_failed');
    expect((await refusal(OnnxSignalModel.load({ ...base, minConfidence: 1.5 }))).code).toBe('validation_failed');
    expect((await refusal(OnnxSignalModel.load({ ...base, path: '/nonexistent.onnx' }))).code).toBe('validation_failed');
    expect((await refusal(OnnxSignalModel.load({ ...base, bytes: undefined, path: '/nonexistent.onnx' }))).code).toBe('model_failed');
  });
});

describe('OnnxSignalModel predictions', () => {
  let loaded: OnnxSignalModel;
  beforeAll(async () => {
    loaded = await OnnxSignalModel.load(base);
  });
  afterAll(async () => {
    await loaded.close();
  });
  const vectors = toVectors(data.rows.slice(0, 200), 'v1');

  it('gives single predictions equal to batch ones (to 1e-6), with probabilities summing to 1', async () => {
    const batch = await loaded.predictBatch(vectors);
    for (let index = 0; index < 20; index += 1) {
      const single = await loaded.predict(vectors[index] as (typeof vectors)[number]);
      const inBatch = batch[index] as (typeof batch)[number];
      expect(single.action).toBe(inBatch.action);
      // onnxruntime's batched GEMM may round differently from a single row, within float32 precision.
      expect(Math.abs(single.confidence - inBatch.confidence)).toBeLessThan(1e-6);
      const probabilities = single.probabilities ?? { BUY: 0, SELL: 0, HOLD: 0 };
      expect(probabilities.BUY + probabilities.SELL + probabilities.HOLD).toBeCloseTo(1, 5);
      expect(single.confidence).toBe(probabilities[single.action]);
    }
    expect(await loaded.predictBatch([])).toEqual([]);
  });

  it('gives single predictions bit for bit equal to batch ones of any size (a batched replay decides as a live run)', async () => {
    const batch = await loaded.predictBatch(vectors);
    for (let index = 0; index < vectors.length; index += 1) expect(await loaded.predict(vectors[index]!)).toEqual(batch[index]);
    for (const size of [1, 2, 3, 17]) expect(await loaded.predictBatch(vectors.slice(40, 40 + size))).toEqual(batch.slice(40, 40 + size));
    for (let index = 0; index < 30; index += 1) expect(await loaded.predictBatch([vectors[index]!])).toEqual([batch[index]]);
  });

  it('gives single predictions bit for bit in a batch past 5,500 rows too (onnxruntime rounds such a run differently: it is run in parts)', async () => {
    // 8,193 rows: two full runs of 4,096 and a last run of one row.
    const many = toVectors(plantedLinearData(8_193, 6, 11).rows, 'v1');
    const batch = await loaded.predictBatch(many);
    expect(batch).toHaveLength(many.length);
    const differing: number[] = [];
    for (let index = 0; index < many.length; index += 1) {
      const single = await loaded.predict(many[index]!);
      if (single.confidence !== batch[index]!.confidence || single.action !== batch[index]!.action) differing.push(index);
    }
    expect(differing).toEqual([]);
  });

  it('predicts rows of the set\'s values bit for bit as predictBatch predicts the same vectors, at any count (one row, a run and a part, a last run of one)', async () => {
    // The set gives more features than the model reads, in another order: the model picks its own out by name.
    const set = ['extra_a', ...[...names].reverse(), 'extra_b'];
    const wide = await OnnxSignalModel.load({ ...base, expectedFeatureNames: set });
    const many = toVectors(plantedLinearData(8_193, 6, 12).rows, 'v1');
    const values = new Float64Array(many.length * set.length);
    many.forEach((vector, row) => values.set([7, ...[...vector.values].reverse(), -7], row * set.length));
    const rows = (count: number) => ({ values, count, width: set.length, featureSetVersion: 'v1', productId: many[0]!.productId, granularity: many[0]!.granularity });
    for (const count of [0, 1, 2, 17, 4_096, 4_097, 8_193]) expect(await predictedRows(wide, rows(count))).toEqual(await loaded.predictBatch(many.slice(0, count)));
    // Rows of another set, or of a granularity the model was not trained on, are not taken.
    expect(await predictedRows(wide, { ...rows(3), featureSetVersion: 'v2' })).toBeUndefined();
    expect(await predictedRows(wide, { ...rows(3), width: set.length - 1 })).toBeUndefined();
    expect((await refusal(predictedRows(wide, { ...rows(3), granularity: 'ONE_HOUR' }))).code).toBe('model_mismatch');
    expect((await refusal(predictedRows(wide, { ...rows(3), count: many.length + 1 }))).code).toBe('validation_failed');
    // A value the model reads that is not finite is refused; one it does not read (extra_a) is not looked at.
    const broken = values.slice(0, 3 * set.length);
    broken[set.length + 1] = Number.NaN;
    expect((await refusal(predictedRows(wide, { ...rows(3), values: broken }))).code).toBe('validation_failed');
    broken[set.length + 1] = 0;
    broken[set.length] = Number.NaN;
    expect(await predictedRows(wide, { ...rows(3), values: broken })).toHaveLength(3);
    // Columns too short for the rows are refused before anything runs; rows not taken leave the columns as they were.
    const short = { actions: new Uint8Array(2), confidences: new Float64Array(3), probabilities: new Float64Array(9) };
    expect((await refusal(wide.predictRows(rows(3), short))).code).toBe('validation_failed');
    const untouched = { actions: new Uint8Array(3).fill(9), confidences: new Float64Array(3).fill(-1), probabilities: new Float64Array(9).fill(-1) };
    expect(await wide.predictRows({ ...rows(3), featureSetVersion: 'v2' }, untouched)).toBe(false);
    expect([...untouched.actions, ...untouched.confidences, ...untouched.probabilities]).toEqual([9, 9, 9, ...new Array<number>(12).fill(-1)]);
    await wide.close();
  });

  it('recovers the planted classes', async () => {
    const batch = await loaded.predictBatch(vectors);
    const correct = batch.filter((prediction, index) => prediction.action === data.labels[index]).length;
    expect(correct / batch.length).toBeGreaterThan(0.85);
  });

  it('turns BUY or SELL below the minimum confidence into HOLD with the HOLD probability', async () => {
    const strict = await OnnxSignalModel.load({ ...base, minConfidence: 0.999 });
    const plain = await loaded.predictBatch(vectors);
    const held = await strict.predictBatch(vectors);
    held.forEach((prediction, index) => {
      const before = plain[index] as (typeof plain)[number];
      if (before.action !== 'HOLD' && before.confidence < 0.999) {
        expect(prediction.action).toBe('HOLD');
        expect(prediction.confidence).toBe(before.probabilities?.HOLD);
      } else {
        expect(prediction).toEqual(before);
      }
    });
    expect(held.some((prediction, index) => prediction.action !== plain[index]?.action)).toBe(true);
    await strict.close();
  });

  it('refuses NaN, missing features and vectors of another set', async () => {
    const vector = vectors[0] as (typeof vectors)[number];
    const withNaN = { ...vector, values: vector.values.map((value, index) => (index === 3 ? Number.NaN : value)) };
    const nanError = await refusal(loaded.predict(withNaN));
    expect(nanError.code).toBe('validation_failed');
    expect(nanError.message).toContain("'f3'");
    expect((await refusal(loaded.predict({ ...vector, values: vector.values.slice(0, 5) }))).code).toBe('validation_failed');
    expect((await refusal(loaded.predictBatch([vector, { ...vector, values: [...vector.values.slice(0, 5), Number.POSITIVE_INFINITY] }]))).code).toBe('validation_failed');
    expect((await refusal(loaded.predict({ ...vector, featureSetVersion: 'v0' }))).code).toBe('model_mismatch');
    expect((await refusal(loaded.predict({ ...vector, granularity: 'ONE_HOUR' }))).code).toBe('model_mismatch');
  });

  it('honours an aborted signal', async () => {
    const error = await refusal(loaded.predict(vectors[0] as (typeof vectors)[number], { signal: AbortSignal.abort() }));
    expect(error.code).toBe('aborted');
  });
});
