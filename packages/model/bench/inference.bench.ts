/**
 * Inference benchmark: OnnxSignalModel vs a raw onnxruntime session on the same model.
 * - single row: p50/p99 latency of `predict` vs `session.run` fetching the same `probabilities` output
 *   (fresh tensor per call, same thread settings), target overhead ratio (p50) ≤ 1.2;
 * - batch: rows/s of `predictBatch` on 10,000 rows vs one raw `session.run` of the same rows.
 * Models: the shipped default (LinearClassifier, 49 of the 51 features) and a 150-round tree ensemble.
 * `BENCH_QUICK=1` runs a short version (CI).
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import type { FeatureVector } from '@tradepipe/core';
import { OnnxSignalModel, defaultModelPath, exportToOnnx, readModelMetadata, trainGradientBoostedTrees } from '../src/index.js';

const quick = process.env.BENCH_QUICK === '1';
const singleCalls = quick ? 3_000 : 40_000;
const batchRepeats = quick ? 3 : 20;
const batchRows = 10_000;

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
}

const quantile = (sorted: Float64Array, q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;

async function benchModel(label: string, bytes: Uint8Array): Promise<string[]> {
  const metadata = readModelMetadata(bytes);
  const names = metadata.featureNames ?? [];
  const width = names.length;
  const random = seeded(17);
  const rows = Array.from({ length: batchRows }, () => Array.from({ length: width }, () => random() * 2 - 1));
  const vectors: FeatureVector[] = rows.map((values, index) => ({ productId: 'BTC-USD', granularity: 'ONE_DAY', candleStartMs: index * 86_400_000, featureSetVersion: metadata.featureSetVersion ?? '', values }));
  const model = await OnnxSignalModel.load({ bytes, expectedFeatureNames: names, expectedFeatureSetVersion: metadata.featureSetVersion ?? '' });
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const inputName = session.inputNames[0] as string;
  // The reference fetches the same output the model reads (probabilities), so the ratio is the wrapper's own cost.
  const fetches = ['probabilities'];
  const rawRun = (values: readonly number[]) => session.run({ [inputName]: new ort.Tensor('float32', Float32Array.from(values), [1, width]) }, fetches);

  for (let index = 0; index < 1_000; index += 1) {
    await model.predict(vectors[index % batchRows] as FeatureVector);
    await rawRun(rows[index % batchRows] as number[]);
  }
  const wrapped = new Float64Array(singleCalls);
  const raw = new Float64Array(singleCalls);
  // Interleaved in blocks of 100 so that drift (other processes, GC) hits both alike.
  for (let block = 0; block < singleCalls; block += 100) {
    for (let index = block; index < block + 100; index += 1) {
      const started = performance.now();
      await model.predict(vectors[index % batchRows] as FeatureVector);
      wrapped[index] = performance.now() - started;
    }
    for (let index = block; index < block + 100; index += 1) {
      const started = performance.now();
      await rawRun(rows[index % batchRows] as number[]);
      raw[index] = performance.now() - started;
    }
  }
  wrapped.sort();
  raw.sort();

  const flat = Float32Array.from(rows.flat());
  let wrappedBatchMs = Number.POSITIVE_INFINITY;
  let rawBatchMs = Number.POSITIVE_INFINITY;
  for (let repeat = 0; repeat < batchRepeats; repeat += 1) {
    let started = performance.now();
    await model.predictBatch(vectors);
    wrappedBatchMs = Math.min(wrappedBatchMs, performance.now() - started);
    started = performance.now();
    await session.run({ [inputName]: new ort.Tensor('float32', flat, [batchRows, width]) }, fetches);
    rawBatchMs = Math.min(rawBatchMs, performance.now() - started);
  }
  await model.close();
  await session.release();

  const micros = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;
  const ratio = quantile(wrapped, 0.5) / quantile(raw, 0.5);
  const batchRatio = (batchRows / wrappedBatchMs) / (batchRows / rawBatchMs);
  return [
    `| ${label} | single-row p50 | ${micros(quantile(wrapped, 0.5))} | ${micros(quantile(raw, 0.5))} | ${ratio.toFixed(2)} | ≤ 1.20 | ${ratio <= 1.2 ? 'MET' : 'MISSED'} |`,
    `| ${label} | single-row p99 | ${micros(quantile(wrapped, 0.99))} | ${micros(quantile(raw, 0.99))} | ${(quantile(wrapped, 0.99) / quantile(raw, 0.99)).toFixed(2)} | (info) | |`,
    `| ${label} | batch 10,000 rows | ${Math.round(batchRows / (wrappedBatchMs / 1000)).toLocaleString('en-US')} rows/s | ${Math.round(batchRows / (rawBatchMs / 1000)).toLocaleString('en-US')} rows/s | ${batchRatio.toFixed(2)} | (info) | |`,
  ];
}

async function treeModelBytes(): Promise<Uint8Array> {
  const random = seeded(5);
  const names = Array.from({ length: 51 }, (_, index) => `f${index}`);
  const rows = Array.from({ length: 3_000 }, () => names.map(() => random() * 2 - 1));
  const labels = rows.map((row) => ((row[0] as number) > 0.3 ? 'BUY' : (row[0] as number) < -0.3 ? 'SELL' : 'HOLD') as 'BUY' | 'SELL' | 'HOLD');
  const model = trainGradientBoostedTrees({ features: rows, labels, rounds: quick ? 30 : 150, maxDepth: 3 });
  return exportToOnnx(model, { featureNames: names, featureSetVersion: 'bench' });
}

const lines = [
  `inference bench (${quick ? 'BENCH_QUICK' : 'full'}: ${singleCalls} single calls, best of ${batchRepeats} batches)`,
  '| model | measure | OnnxSignalModel | raw session.run | ratio | target | status |',
  '|---|---|---|---|---|---|---|',
  ...(await benchModel('default (linear, 49 features)', await readFile(defaultModelPath()))),
  ...(await benchModel(`trees (${quick ? 30 : 150} rounds × 3 classes)`, await treeModelBytes())),
];
process.stdout.write(`${lines.join('\n')}\n`);
