/**
 * What the live-latency bench and its diagnosis script share: the candles they feed and the pipeline they feed
 * them to (every candle trades through every stage: signal, bridge, a 0 ms validator, risk, an executor that fills
 * at once, fills).
 */
import { createPipeline, type Candle, type Pipeline, type PipelineStore, type StageWrapper } from '../src/index.js';
import { createTestApprovalSigner, testProduct } from '../src/testing.js';
import { ImmediateExecutor, LimitRiskManager, ReturnFeatureSet, ScriptedValidator, ThresholdModel, tradingCandles } from '../src/pipeline/test-doubles.js';

/** `count` closed 1-minute candles ending a minute ago, closes alternating +2 % / −2 % (BUY, SELL, BUY, …), high and low 0.1 % off the close. */
export function alternatingCandles(count: number): Candle[] {
  return tradingCandles(count, { high: 1.001, low: 0.999 });
}

/**
 * Puts the test product into `store`, then builds the whole-path pipeline over it with `timing` wrapping every
 * stage; `onFinished` hears each recommendation's candle start when it finishes. Not started.
 */
export async function createLivePathPipeline(store: PipelineStore, timing: StageWrapper, onFinished: (candleStartMs: number) => void): Promise<Pipeline> {
  await store.putProduct(testProduct());
  const signer = createTestApprovalSigner();
  const pipeline = createPipeline({
    pipelineId: 'bench',
    store,
    features: new ReturnFeatureSet(),
    model: new ThresholdModel(),
    validator: new ScriptedValidator('zero-ms', ['approve']),
    risk: new LimitRiskManager(signer, 1e12),
    executor: new ImmediateExecutor(signer),
    plugins: [{ name: 'timing', wrappers: [timing] }],
    tuning: { maxSignalAgeCandles: 1e9, pollIntervalMs: 1_000 },
  });
  pipeline.on('recommendation:finished', ({ recommendation }) => onFinished(recommendation.candleStartMs));
  return pipeline;
}
