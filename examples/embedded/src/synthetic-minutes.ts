// Synthetic 1-minute BTC-USD-like candles and a linear 1-minute model trained on other synthetic data through
// the public training API: the workload of the replay tests and of the end-to-end benchmark.
import { randomBytes } from 'node:crypto';
import { createHmacApprovalSigner, createPipeline, type Candle, type Clock, type Logger, type Pipeline, type PipelineStore, type SignalModel } from '@tradepipe/core';
import { PaperExecutor, fundPaperAccount } from '@tradepipe/coinbase';
import { FEATURE_NAMES, FEATURE_SET_VERSION, computeFeatureMatrix, createFeatureSet } from '@tradepipe/features';
import { createRuleValidator } from '@tradepipe/llm-validator';
import { OnnxSignalModel, trainSignalModel } from '@tradepipe/model';
import { createExitPolicy, createRiskManager } from '@tradepipe/risk';
import { BTC_USD, STARTING_USD } from './embedded-pipeline.js';

const MINUTE_MS = 60_000;

function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

/**
 * `count` contiguous 1-minute candles from `startMs`: a random walk whose drift and volatility switch regime
 * every few hours (so there is something for a model to find), each candle opening at the previous close.
 */
export function syntheticMinuteCandles(options: { count: number; seed: number; startMs: number; startPrice?: number }): Candle[] {
  const random = seededRandom(options.seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const candles: Candle[] = [];
  let close = options.startPrice ?? 30_000;
  let drift = 0;
  let volatility = 0.0008;
  for (let index = 0; index < options.count; index += 1) {
    if (random() < 1 / 240) {
      drift = (random() - 0.5) * 0.0004;
      volatility = 0.0004 + random() * 0.0012;
    }
    const open = close;
    close = Math.max(1, open * (1 + drift + volatility * normal()));
    const high = Math.max(open, close) * (1 + random() * volatility);
    const low = Math.min(open, close) * (1 - random() * volatility);
    const round = (value: number): number => Math.round(value * 100) / 100;
    const [o, c] = [round(open), round(close)];
    candles.push({ productId: 'BTC-USD', granularity: 'ONE_MINUTE', startMs: options.startMs + index * MINUTE_MS, open: o, high: Math.max(round(high), o, c), low: Math.min(round(low), o, c), close: c, volume: round(1 + random() * 20), gapFilled: false });
  }
  return candles;
}

/**
 * Trains a linear 1-minute model with `trainSignalModel` on `trainingCandles` synthetic candles (its own seed,
 * never the replayed data) and loads it with a minimum confidence chosen on that training data so that about
 * `signalRate` of candles get a BUY or SELL (a trade or so a day at the default); `minConfidence` overrides it.
 */
export async function trainMinuteModel(options: { seed?: number; trainingCandles?: number; signalRate?: number; minConfidence?: number } = {}): Promise<SignalModel> {
  const candles = syntheticMinuteCandles({ count: options.trainingCandles ?? 30_000, seed: options.seed ?? 7, startMs: Date.UTC(2023, 0, 1) });
  const column = (pick: (candle: Candle) => number) => candles.map(pick);
  const features = computeFeatureMatrix(
    { startMs: column((c) => c.startMs), open: column((c) => c.open), high: column((c) => c.high), low: column((c) => c.low), close: column((c) => c.close), volume: column((c) => c.volume) },
    { granularity: 'ONE_MINUTE' },
  );
  const first = features.firstWarmRow;
  const warm = candles.slice(first);
  const { onnx } = trainSignalModel({
    features: { rows: warm.length, columns: features.columns, values: Float32Array.from(features.matrix.subarray(first * features.columns)) },
    closes: warm.map((candle) => candle.close),
    timestamps: warm.map((candle) => candle.startMs),
    featureNames: FEATURE_NAMES,
    featureSetVersion: FEATURE_SET_VERSION,
    options: { labeling: { horizon: 60, buyThreshold: 0.004, sellThreshold: -0.004 }, model: { kind: 'linear' }, granularity: 'ONE_MINUTE' },
  });
  const load = (minConfidence: number) =>
    OnnxSignalModel.load({ bytes: onnx, expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION, expectedGranularity: 'ONE_MINUTE', minConfidence });
  if (options.minConfidence !== undefined) return load(options.minConfidence);
  const raw = await load(0);
  const vectors = warm.map((candle, row) => ({
    productId: candle.productId, granularity: candle.granularity, candleStartMs: candle.startMs, featureSetVersion: FEATURE_SET_VERSION,
    values: Array.from(features.matrix.subarray((first + row) * features.columns, (first + row + 1) * features.columns)),
  }));
  const confidences: number[] = [];
  for (let start = 0; start < vectors.length; start += 4_096) {
    for (const prediction of await raw.predictBatch(vectors.slice(start, start + 4_096))) if (prediction.action !== 'HOLD') confidences.push(prediction.confidence);
  }
  confidences.sort((a, b) => b - a);
  await raw.close();
  const cut = confidences[Math.min(confidences.length - 1, Math.floor((options.signalRate ?? 0.01) * vectors.length))] ?? 1;
  return load(Math.min(1, cut + 1e-9));
}

/** The embedded stages on 1-minute candles: the rule validator, risk with exits, the paper executor. */
export async function createMinutePipeline(options: { store: PipelineStore; clock: Clock; model: SignalModel; logger?: Logger; approvalSecret?: string }): Promise<Pipeline> {
  const signer = createHmacApprovalSigner({ keyId: 'minutes', secret: options.approvalSecret ?? randomBytes(32).toString('hex') });
  await options.store.putProduct(BTC_USD);
  await fundPaperAccount(options.store, { USD: String(STARTING_USD) }, options.clock.nowMs());
  return createPipeline({
    pipelineId: 'minutes-btc-usd',
    store: options.store,
    clock: options.clock,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    features: createFeatureSet(),
    model: options.model,
    validator: createRuleValidator({ name: 'rules', minConfidence: 0.5 }),
    risk: createRiskManager({
      signer,
      approvalTtlMs: 5 * 60_000,
      limits: { maxOrderQuote: 100, maxPositionQuote: 600, maxTotalExposureQuote: 600, maxPortfolioHeat: 0.5, maxDailyLossFraction: 0.05, maxOrdersPerHour: 10 },
    }),
    exits: createExitPolicy({ stopLossAtr: 2, takeProfitAtr: 4, trailingStopAtr: 3, recommendationTtlMs: 10 * 60_000 }),
    executor: new PaperExecutor({ approvalSigner: signer, slippageBps: 5, takerFeeRateBps: 120 }),
  });
}
