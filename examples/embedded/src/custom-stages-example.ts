// docs/custom-stages.md, kept compiling and running (embedded-pipeline.test.ts runs it): your own model and
// your own validator, wired next to the packaged stages, replayed over the bundled candles.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  ProductSchema,
  createHmacApprovalSigner,
  createManualClock,
  createMemoryStore,
  createPipeline,
  createValidation,
  definePluginStage,
  loadRecommendation,
  parseCandleCsv,
  replayCandles,
  wrapEveryStage,
  wrapStage,
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

// A wrapping plugin: middleware around every stage's run (here: time spent per stage), and a veto around risk.
export const stageTimeMs: Record<string, number> = {};
const timing = wrapEveryStage(async (call, next) => {
  const startedAtMs = performance.now();
  try {
    return await next();
  } finally {
    stageTimeMs[call.stage] = (stageTimeMs[call.stage] ?? 0) + performance.now() - startedAtMs;
  }
});
const noTinyBuys = wrapStage('risk', async (call, next) =>
  call.input.recommendation.side === 'BUY' && call.input.recommendation.referencePrice < 1
    ? { kind: 'complete', state: 'REJECTED', reason: 'veto: price below 1' }
    : next(),
);

// An added stage, between validation and risk: a BUY within three days of the last BUY order waits no longer, it is
// rejected. It takes what validation approves, in its own state, and passes the rest on to risk.
const COOLDOWN_MS = 3 * 86_400_000;
const cooldown = definePluginStage({
  name: 'cooldown',
  after: 'validation',
  takes: { kind: 'recommendation', state: 'PENDING_COOLDOWN', ordered: false },
  onRetriesExhausted: 'REJECTED',
  onPermanentFailure: 'REJECTED',
  load: async (claim, context) => ({ recommendation: await loadRecommendation(claim, context.slotContext.store) }),
  async run({ recommendation }, context) {
    if (recommendation.side !== 'BUY') return { kind: 'pass' };
    const buys = (await context.slotContext.store.listOrders({ productId: recommendation.productId })).filter((order) => order.side === 'BUY');
    const lastBuyAtMs = Math.max(0, ...buys.map((order) => order.createdAtMs));
    const tooSoon = context.clock.nowMs() - lastBuyAtMs < COOLDOWN_MS;
    return tooSoon ? { kind: 'complete', state: 'REJECTED', reason: 'cooldown: a BUY less than three days after the last' } : { kind: 'pass' };
  },
});
const guards: PipelinePlugin = { name: 'guards', wrappers: [timing, noTinyBuys], stages: [cooldown] };

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
  plugins: [weekendGuard, guards], // with no `validator` slot, the plugin's validators are the validation stage
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
const ends = await Promise.all((await store.listRecommendations({})).map((recommendation) => store.getRecommendation(recommendation.id)));
export const cooldownRejections = ends.filter((end) => end?.status.reason?.startsWith('cooldown:') === true).length;
