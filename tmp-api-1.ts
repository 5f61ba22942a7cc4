import { buildBacktestReport, createPipeline, replayCandlesBatched, replayCandles, type FeatureVector, type ModelPrediction, type SignalModel } from '@tradepipe/core';
import { FEATURE_SET_VERSION, createFeatureSet } from '@tradepipe/features';
import { setup } from './tmp-api-common.ts';
import { createRuleValidator } from '@tradepipe/llm-validator';

const names = ['rsi_14', 'close_to_ema_26'] as const;
function predict(v: FeatureVector): ModelPrediction {
  const [rsi, dist] = v.values as unknown as number[];
  if (rsi! < 40 && dist! < 0) return { action: 'BUY', confidence: 0.7 };
  if (rsi! > 65 && dist! > 0) return { action: 'SELL', confidence: 0.7 };
  return { action: 'HOLD', confidence: 0.5 };
}
let seen = 0;
const model: SignalModel = {
  modelId: 'rsi-ema', modelVersion: '1', featureNames: names, featureSetVersion: FEATURE_SET_VERSION, granularity: 'ONE_DAY',
  predict: async (v) => { if (seen++ < 2) console.log('predict view', v.values.length, v.values); return predict(v); },
  predictBatch: async (vs) => { if (seen++ < 2) console.log('batch view', vs[0]?.values.length, vs[0]?.values); return vs.map(predict); },
};
const mode = process.argv[2] ?? 'batched';
const s = await setup();
const pipeline = createPipeline({ pipelineId: 'custom-model', store: s.store, clock: s.clock, features: createFeatureSet(), model, validator: createRuleValidator({ minConfidence: 0.4 }), risk: s.risk, exits: s.exits, executor: s.executor });
const r = mode === 'batched' ? await replayCandlesBatched({ pipeline, store: s.store, clock: s.clock, candles: s.holdOut }) : await replayCandles({ pipeline, store: s.store, clock: s.clock, candles: s.holdOut });
console.log('replay', r);
const report = await buildBacktestReport({ store: s.store, candles: s.holdOut, history: s.history, startingQuote: 1000, costs: { feeRateBps: 120, slippageBps: 5 }, generatedAtMs: s.clock.nowMs() });
console.log(JSON.stringify(report.metrics, null, 1));
console.log(JSON.stringify(report.funnel, null, 1));
console.log('sizes', JSON.stringify(report.sizes));
console.log('notes', report.notes);
console.log('baselines', report.baselines.map((b) => [b.label, b.metrics.totalReturnFraction]));
console.log('trades', report.trades.length, 'openLots', report.openLots);
console.log(await s.store.listBalances());
