// docs/custom-stages.md, kept compiling and running (embedded-pipeline.test.ts runs it): your own model and
// your own validator, wired next to the packaged stages, replayed over the bundled candles.
import { readFileSync } from 'node:fs';
import {
  ProductSchema,
  createHmacApprovalSigner,
  createManualClock,
  createMemoryStore,
  createPipeline,
  createValidation,
  parseCandleCsv,
  replayCandles,
  type FeatureVector,
  type ModelPrediction,
  type PipelinePlugin,
  type SignalModel,
  type TradeValidator,
} from '@tradepipe/core';
import { PaperExecutor } from '@tradepipe/coinbase';
import { FEATURE_NAMES, FEATURE_SET_VERSION, createFeatureSet } from '@tradepipe/features';
import { createExitPolicy, createRiskManager } from '@tradepipe/risk';

// A model: RSI(14) below 35 buys, above 65 sells. It reads one feature but declares the whole set, in order.
const RSI_14 = FEATURE_NAMES.indexOf('rsi_14');
function predictRsi(vector: FeatureVector): ModelPrediction {
  const rsi = vector.values[RSI_14]!;
  if (rsi < 35) return { action: 'BUY', confidence: 0.5 + (35 - rsi) / 70 };
  if (rsi > 65) return { action: 'SELL', confidence: 0.5 + (rsi - 65) / 70 };
  return { action: 'HOLD', confidence: 0.5 };
}
export const rsiModel: SignalModel = {
  modelId: 'rsi-threshold',
  modelVersion: '1',
  featureNames: FEATURE_NAMES,
  featureSetVersion: FEATURE_SET_VERSION,
  granularity: 'ONE_DAY',
  predict: async (vector) => predictRsi(vector),
  predictBatch: async (vectors) => vectors.map(predictRsi),
};

// A validator: no BUY on a Saturday or Sunday (UTC, at decision time). It throws nothing: a verdict either way.
export const noWeekendBuys: TradeValidator = {
  name: 'no-weekend-buys',
  async validate({ recommendation }, context) {
    const day = new Date(context.clock.nowMs()).getUTCDay();
    const refuse = recommendation.side === 'BUY' && (day === 0 || day === 6);
    return createValidation({
      recommendation,
      validator: this.name,
      decision: refuse ? 'REJECT' : 'APPROVE',
      reasons: [refuse ? 'no BUY on a weekend' : 'not a weekend BUY'],
      nowMs: context.clock.nowMs(),
    });
  },
};

// A plugin: the validator plus a listener (listeners run after each record is stored; a throwing one is isolated).
export const executedBuys: number[] = [];
const weekendGuard: PipelinePlugin = {
  name: 'weekend-guard',
  validators: [noWeekendBuys],
  listeners: { 'order:updated': ({ order }) => void (order.side === 'BUY' && order.status === 'EXECUTED' && executedBuys.push(order.createdAtMs)) },
};

const candles = parseCandleCsv({ text: readFileSync(new URL('../../../data/btc-usd-1d.csv', import.meta.url), 'utf8'), productId: 'BTC-USD', granularity: 'ONE_DAY' });
const split = candles.length - 240;
const clock = createManualClock(candles[split]!.startMs);
const store = createMemoryStore({ clock });
await store.putProduct(ProductSchema.parse({
  productId: 'BTC-USD', baseCurrency: 'BTC', quoteCurrency: 'USD', baseIncrement: '0.00000001', quoteIncrement: '0.01',
  priceIncrement: '0.01', baseMinSize: '0.00000001', quoteMinSize: '1', status: 'online',
}));
await store.putCandles(candles.slice(0, split), { state: 'DONE' });
const signer = createHmacApprovalSigner({ keyId: 'risk', secret: 'custom-stages-example-secret-0123456789' });
const pipeline = createPipeline({
  pipelineId: 'custom-stages',
  store,
  clock,
  features: createFeatureSet(),
  model: rsiModel,
  plugins: [weekendGuard], // with no `validator` slot, the plugin's validators are the validation stage
  risk: createRiskManager({
    signer,
    approvalTtlMs: 600_000,
    limits: { maxOrderQuote: 100, maxPositionQuote: 1000, maxTotalExposureQuote: 1000, maxPortfolioHeat: 0.5, maxDailyLossFraction: 0.05, maxOrdersPerHour: 10 },
  }),
  exits: createExitPolicy({ stopLossAtr: 2, takeProfitAtr: 4 }),
  executor: new PaperExecutor({ approvalSigner: signer, takerFeeRateBps: 60, startingBalances: { USD: '5000' } }),
});
await replayCandles({ pipeline, store, clock, candles: candles.slice(split) });
export const orders = await store.listOrders({});
const verdicts = (await Promise.all((await store.listRecommendations({})).map((recommendation) => store.listValidations(recommendation.id)))).flat();
export const weekendRejections = verdicts.filter((verdict) => verdict.validator === 'no-weekend-buys' && verdict.decision === 'REJECT').length;
