// A user's first pipeline, type-checked against the published .d.ts of the packed tarballs.
import {
  createManualClock,
  createMemoryStore,
  createPipeline,
  decimal,
  type FeatureExtractor,
  type FeatureSet,
  type ModelPrediction,
  type SignalModel,
} from '@tradepipe/core';

const features: FeatureSet = {
  featureSetVersion: 'consumer-1',
  featureNames: ['close'],
  warmupCandles: 1,
  createExtractor(series): FeatureExtractor {
    let last: number | undefined;
    return {
      update: (candle) => {
        last = candle.startMs;
        return { ...series, candleStartMs: candle.startMs, featureSetVersion: 'consumer-1', values: [candle.close] };
      },
      lastCandleStartMs: () => last,
      saveState: () => ({ last }),
      restoreState: (state) => {
        last = (state as { last?: number }).last;
      },
    };
  },
};

const model: SignalModel = {
  modelId: 'always-hold',
  modelVersion: '1',
  featureNames: ['close'],
  featureSetVersion: 'consumer-1',
  predict: async (): Promise<ModelPrediction> => ({ action: 'HOLD', confidence: 1 }),
  predictBatch: async (vectors) => vectors.map(() => ({ action: 'HOLD' as const, confidence: 1 })),
};

const startMs = Date.UTC(2025, 0, 1);
const clock = createManualClock(startMs + 3 * 86_400_000);
const store = createMemoryStore({ clock });
const pipeline = createPipeline({ pipelineId: 'consumer', store, clock, features, model, stages: ['signal', 'bridge'] });
await store.putCandles(
  [0, 1, 2].map((day) => ({ productId: 'BTC-USD', granularity: 'ONE_DAY' as const, startMs: startMs + day * 86_400_000, open: 100, high: 101, low: 99, close: 100, volume: 1, gapFilled: false })),
);
const processed = await pipeline.runUntilIdle();
console.log(JSON.stringify({ processed, candles: await store.countByState('candle'), amount: decimal('100.0') }));
