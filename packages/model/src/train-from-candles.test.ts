import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isTradepipeError, parseCandleCsv, type Candle } from '@tradepipe/core';
import { FEATURE_SET_VERSION, createFeatureSet, defaultModelFeatureNames } from '@tradepipe/features';
import { readModelMetadata } from './model-metadata.js';
import { OnnxSignalModel } from './onnx-signal-model.js';
import { seededRandom } from './synthetic-fixtures.js';
import { TRAINING_CODE_VERSION } from './train-signal-model.js';
import { trainModelFromCandles } from './train-from-candles.js';

const DAY_MS = 86_400_000;
const csv = readFileSync(fileURLToPath(new URL('../../../data/btc-usd-1d.csv', import.meta.url)), 'utf8');
const btc: Candle[] = parseCandleCsv({ text: csv, productId: 'BTC-USD', granularity: 'ONE_DAY' }).slice(2000, 3600);

/** A second product on the same days: its own random walk, so the two series differ. */
function otherProduct(productId: string, seed: number): Candle[] {
  const random = seededRandom(seed);
  let price = 20;
  return btc.map((candle) => {
    const open = price;
    const close = open * Math.exp((random() - 0.5) * 0.08);
    price = close;
    const high = Math.max(open, close) * (1 + random() * 0.02);
    const low = Math.min(open, close) * (1 - random() * 0.02);
    return { ...candle, productId, open, high, low, close, volume: 1000 * random() };
  });
}

const settings = {
  featureSet: createFeatureSet(),
  featureNames: defaultModelFeatureNames('ONE_DAY'),
  labeling: { horizonMs: 5 * DAY_MS, buyThreshold: 0.03, sellThreshold: -0.03 },
  model: { kind: 'linear', l2: 0.1 },
  walkForward: { folds: 3, minTrainMs: 400 * DAY_MS },
  modelId: 'test-model',
} as const;

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isTradepipeError(error) ? error.code : 'other';
  }
  return undefined;
}

describe('trainModelFromCandles', () => {
  it('pools two products into one model, purging each fold by time, and records what it was trained on', () => {
    const eth = otherProduct('ETH-USD', 9);
    const result = trainModelFromCandles({ ...settings, series: [{ productId: 'BTC-USD', granularity: 'ONE_DAY', candles: btc }, { productId: 'ETH-USD', granularity: 'ONE_DAY', candles: eth }] });
    const warmDays = btc.length - 699;
    expect(result.report.labelledRows).toBe(2 * (warmDays - 5));
    // Rows are the two series day by day: row r is day floor(r / 2).
    const dayOfRow = (row: number) => btc[699 + Math.floor(row / 2)]!.startMs;
    for (const fold of result.report.walkForward!.folds) {
      expect(dayOfRow(fold.split.trainEnd - 1) + 5 * DAY_MS).toBeLessThan(fold.testFromMs!);
      expect(fold.trading.buyAndHoldReturn).toBeGreaterThan(-1);
    }
    const metadata = readModelMetadata(result.onnx);
    expect(metadata).toMatchObject({
      products: ['BTC-USD', 'ETH-USD'],
      granularity: 'ONE_DAY',
      featureSetVersion: FEATURE_SET_VERSION,
      featureNames: defaultModelFeatureNames('ONE_DAY'),
      labeling: { horizon: 5, horizonMs: 5 * DAY_MS, buyThreshold: 0.03, sellThreshold: -0.03 },
      trainingRange: { fromMs: btc[699]!.startMs, toMs: btc.at(-1)!.startMs },
      trainingCodeVersion: TRAINING_CODE_VERSION,
    });
    expect(metadata.metrics).toHaveProperty('walkForward.strategySharpe');
    // One product alone gives another model (and half the rows).
    const alone = trainModelFromCandles({ ...settings, series: [{ productId: 'BTC-USD', granularity: 'ONE_DAY', candles: btc }] });
    expect(alone.report.labelledRows).toBe(warmDays - 5);
    // Deterministic: the same data gives the same bytes.
    expect(Buffer.from(trainModelFromCandles({ ...settings, series: [{ productId: 'BTC-USD', granularity: 'ONE_DAY', candles: btc }] }).onnx).equals(Buffer.from(alone.onnx))).toBe(true);
  });

  it('takes horizons and windows as whole numbers of candles only, and one granularity', () => {
    const series = [{ productId: 'BTC-USD', granularity: 'ONE_DAY', candles: btc }] as const;
    expect(codeOf(() => trainModelFromCandles({ ...settings, series, labeling: { ...settings.labeling, horizonMs: 5.5 * DAY_MS } }))).toBe('validation_failed');
    expect(codeOf(() => trainModelFromCandles({ ...settings, series, walkForward: { folds: 3, minTrainMs: 400 * DAY_MS + 1 } }))).toBe('validation_failed');
    expect(codeOf(() => trainModelFromCandles({ ...settings, series: [...series, { productId: 'ETH-USD', granularity: 'ONE_HOUR', candles: [] }] }))).toBe('validation_failed');
    expect(codeOf(() => trainModelFromCandles({ ...settings, series, featureNames: ['rsi_14', 'nonexistent'] }))).toBe('model_mismatch');
  });
});

describe('a model loaded for a market it was not trained on', () => {
  it('is refused, by product and by granularity, unless the user opts in', async () => {
    const { onnx } = trainModelFromCandles({ ...settings, walkForward: undefined, series: [{ productId: 'BTC-USD', granularity: 'ONE_DAY', candles: btc }] });
    const base = { bytes: onnx, expectedFeatureNames: createFeatureSet().featureNames, expectedFeatureSetVersion: FEATURE_SET_VERSION };
    await expect(OnnxSignalModel.load({ ...base, productIds: ['ETH-USD'] })).rejects.toMatchObject({ code: 'model_mismatch', message: expect.stringContaining("not on 'ETH-USD'") });
    await expect(OnnxSignalModel.load({ ...base, expectedGranularity: 'ONE_HOUR' })).rejects.toMatchObject({ code: 'model_mismatch' });
    const model = await OnnxSignalModel.load({ ...base, productIds: ['BTC-USD'] });
    const extractor = createFeatureSet().createExtractor({ productId: 'BTC-USD', granularity: 'ONE_DAY' });
    let vector;
    for (const candle of btc.slice(0, 700)) vector = extractor.update(candle);
    expect((await model.predict(vector!)).action).toMatch(/BUY|SELL|HOLD/);
    await expect(model.predict({ ...vector!, productId: 'ETH-USD' })).rejects.toMatchObject({ code: 'model_mismatch' });
    await expect(model.predict({ ...vector!, granularity: 'ONE_HOUR' })).rejects.toMatchObject({ code: 'model_mismatch' });
    await model.close();
    const optedIn = await OnnxSignalModel.load({ ...base, productIds: ['ETH-USD'], expectedGranularity: 'ONE_HOUR', allowUntrainedMarkets: true });
    expect((await optedIn.predict({ ...vector!, productId: 'ETH-USD' })).action).toMatch(/BUY|SELL|HOLD/);
    await optedIn.close();
  });
});
