/**
 * Trains the default model shipped in `models/`: BTC-USD daily candles from `data/btc-usd-1d.csv`, the
 * 51 features of `@tradepipe/features`, 5-day forward-return labels at ±3 %, class-balanced.
 * Two candidates (logistic regression, gradient-boosted trees) are compared by walk-forward only; the
 * better one is trained on everything before the hold-out, then scored ONCE on the hold-out (from
 * 2024-09-25) through onnxruntime. Labels never read a close from the hold-out.
 *
 * Run: npx tsx --conditions=@tradepipe/source packages/model/scripts/train-default-model.ts
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FeatureVector } from '@tradepipe/core';
import { FEATURE_NAMES, FEATURE_SET_VERSION, computeFeatureMatrix } from '@tradepipe/features';
import {
  OnnxSignalModel,
  classificationMetrics,
  exportToOnnx,
  makeForwardReturnLabels,
  trainSignalModel,
  tradingMetrics,
  DEFAULT_MODEL_FILE,
  type TrainingOptionsInput,
  type TrainSignalModelResult,
} from '../src/index.js';
import { readCandleCsv } from './candles-csv.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const CSV_PATH = join(packageRoot, '..', '..', 'data', 'btc-usd-1d.csv');
const HOLDOUT_FROM_MS = Date.UTC(2024, 8, 25);
const labeling = { horizon: 5, buyThreshold: 0.03, sellThreshold: -0.03 };
const common = {
  labeling,
  walkForward: { folds: 5, minTrainRows: 1000 },
  feeRateBps: 60,
  granularity: 'ONE_DAY',
  modelId: 'btc-usd-1d-default',
  modelVersion: '1.0.0',
} as const;
const candidates: Record<string, TrainingOptionsInput> = {
  linear: { ...common, model: { kind: 'linear', l2: 0.1 } },
  gradient_boosted_trees: { ...common, model: { kind: 'gradient_boosted_trees', rounds: 150, learningRate: 0.05, maxDepth: 3, minLeafRows: 40 } },
};

const percent = (value: number): string => `${(value * 100).toFixed(1)} %`;
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

async function main(): Promise<void> {
  const candles = await readCandleCsv(CSV_PATH);
  const features = computeFeatureMatrix(candles, { granularity: 'ONE_DAY' });
  const first = features.firstWarmRow;
  const holdoutStart = candles.startMs.findIndex((startMs) => startMs >= HOLDOUT_FROM_MS);
  const width = features.columns;
  const slice = (from: number, to: number) => ({ rows: to - from, columns: width, values: Float32Array.from(features.matrix.subarray(from * width, to * width)) });
  // Training sees rows [first, holdoutStart) and only their closes: the last 5 rows stay unlabelled.
  const training = {
    features: slice(first, holdoutStart),
    closes: candles.close.slice(first, holdoutStart),
    timestamps: candles.startMs.slice(first, holdoutStart),
    featureNames: FEATURE_NAMES,
    featureSetVersion: FEATURE_SET_VERSION,
  };
  const results: Record<string, TrainSignalModelResult> = {};
  for (const [name, options] of Object.entries(candidates)) {
    results[name] = trainSignalModel({ ...training, options });
    const walkForward = results[name].report.walkForward;
    process.stdout.write(`${name}: walk-forward mean balanced accuracy ${walkForward?.meanBalancedAccuracy.toFixed(4)}, macro F1 ${walkForward?.meanMacroF1.toFixed(4)}\n`);
  }
  const chosenName = Object.keys(results).reduce((best, name) =>
    (results[name]?.report.walkForward?.meanBalancedAccuracy ?? 0) > (results[best]?.report.walkForward?.meanBalancedAccuracy ?? 0) ? name : best);
  const chosen = results[chosenName] as TrainSignalModelResult;
  process.stdout.write(`chosen by walk-forward: ${chosenName}\n`);

  // Hold-out: features of rows [holdoutStart, end) through onnxruntime; labels from hold-out closes only.
  const holdoutCloses = candles.close.slice(holdoutStart);
  const holdoutLabels = makeForwardReturnLabels(holdoutCloses, labeling);
  const model = await OnnxSignalModel.load({ bytes: chosen.onnx, expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION, expectedGranularity: 'ONE_DAY' });
  const vectors: FeatureVector[] = [];
  for (let row = holdoutStart; row < features.rows; row += 1) {
    vectors.push({ productId: 'BTC-USD', granularity: 'ONE_DAY', candleStartMs: candles.startMs[row] as number, featureSetVersion: FEATURE_SET_VERSION, values: Array.from(features.matrix.subarray(row * width, (row + 1) * width)) });
  }
  const predictions = await model.predictBatch(vectors);
  await model.close();
  const actions = predictions.map((prediction) => prediction.action);
  const classification = classificationMetrics(holdoutLabels, actions);
  const trading = tradingMetrics({ closes: holdoutCloses, actions, start: 0, end: holdoutCloses.length - 1, feeRateBps: common.feeRateBps });
  const predicted = { BUY: 0, SELL: 0, HOLD: 0 };
  for (const action of actions) predicted[action] += 1;
  const holdout = {
    fromMs: candles.startMs[holdoutStart] as number,
    toMs: candles.startMs[features.rows - 1] as number,
    candles: holdoutCloses.length,
    classification,
    trading,
    predicted,
  };
  process.stdout.write(`hold-out ${isoDay(holdout.fromMs)}…${isoDay(holdout.toMs)}: balanced accuracy ${classification.balancedAccuracy.toFixed(4)}, macro F1 ${classification.macroF1.toFixed(4)}, strategy ${percent(trading.strategyReturn)} vs buy-and-hold ${percent(trading.buyAndHoldReturn)}\n`);

  const metadata = chosen.report;
  const onnx = exportToOnnx(chosen.model, {
    modelId: common.modelId,
    modelVersion: common.modelVersion,
    featureNames: FEATURE_NAMES,
    featureSetVersion: FEATURE_SET_VERSION,
    granularity: 'ONE_DAY',
    labeling,
    trainingRange: metadata.trainingRange,
    metrics: {
      walkForward: {
        meanBalancedAccuracy: metadata.walkForward?.meanBalancedAccuracy,
        meanMacroF1: metadata.walkForward?.meanMacroF1,
        compoundedStrategyReturn: metadata.walkForward?.compoundedStrategyReturn,
        compoundedBuyAndHoldReturn: metadata.walkForward?.compoundedBuyAndHoldReturn,
      },
      holdout: { fromMs: holdout.fromMs, toMs: holdout.toMs, balancedAccuracy: classification.balancedAccuracy, macroF1: classification.macroF1, strategyReturn: trading.strategyReturn, buyAndHoldReturn: trading.buyAndHoldReturn },
      feeRateBps: common.feeRateBps,
    },
  });
  await mkdir(join(packageRoot, 'models'), { recursive: true });
  await writeFile(join(packageRoot, 'models', DEFAULT_MODEL_FILE), onnx);
  const report = {
    chosen: chosenName,
    candidates: Object.fromEntries(Object.entries(results).map(([name, result]) => [name, { options: result.report.options, walkForward: result.report.walkForward }])),
    labelCounts: chosen.report.labelCounts,
    classWeights: chosen.report.classWeights,
    trainingRange: chosen.report.trainingRange,
    holdout,
  };
  await writeFile(join(packageRoot, 'models', DEFAULT_MODEL_FILE.replace(/\.onnx$/, '.report.json')), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`wrote models/${DEFAULT_MODEL_FILE} (${onnx.byteLength} bytes) and its report\n`);
}

await main();
