// The README's "A backtest in your own code", kept compiling and running (embedded-pipeline.test.ts runs it).
import { readFileSync } from 'node:fs';
import { ProductSchema, createHmacApprovalSigner, createManualClock, createMemoryStore, createPipeline, parseCandleCsv, replayCandles } from '@tradepipe/core';
import { PaperExecutor } from '@tradepipe/coinbase';
import { FEATURE_NAMES, FEATURE_SET_VERSION, createFeatureSet } from '@tradepipe/features';
import { createRuleValidator } from '@tradepipe/llm-validator';
import { loadDefaultModel, modelCardFigures } from '@tradepipe/model';
import { createExitPolicy, createRiskManager } from '@tradepipe/risk';

const candles = parseCandleCsv({ text: readFileSync(new URL('../../../data/btc-usd-1d.csv', import.meta.url), 'utf8'), productId: 'BTC-USD', granularity: 'ONE_DAY' });
const split = candles.findIndex((candle) => candle.startMs >= Date.UTC(2024, 8, 25));
const clock = createManualClock(candles[split]!.startMs); // one manual clock for the store and the pipeline
const store = createMemoryStore({ clock });
await store.putProduct(ProductSchema.parse({
  productId: 'BTC-USD', baseCurrency: 'BTC', quoteCurrency: 'USD', baseIncrement: '0.00000001', quoteIncrement: '0.01',
  priceIncrement: '0.01', baseMinSize: '0.00000001', quoteMinSize: '1', status: 'online',
}));
await store.putCandles(candles.slice(0, split), { state: 'DONE' }); // history warms the features, never trades
const model = await loadDefaultModel({ expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION });
const signer = createHmacApprovalSigner({ keyId: 'backtest', secret: 'a secret of at least thirty-two bytes' });
const pipeline = createPipeline({
  pipelineId: 'backtest', store, clock,
  features: createFeatureSet(),
  model,
  validator: createRuleValidator({ minConfidence: modelCardFigures(model.metadata).walkForward?.validatorMinConfidence ?? 0.6 }), // set on walk-forward data
  risk: createRiskManager({ signer, approvalTtlMs: 300_000, limits: { maxOrderQuote: 100, maxPositionQuote: 600, maxTotalExposureQuote: 600, maxPortfolioHeat: 0.5, maxDailyLossFraction: 0.05, maxOrdersPerHour: 10 } }),
  exits: createExitPolicy({}),
  executor: new PaperExecutor({ approvalSigner: signer, startingBalances: { USD: '1000' } }), // funded at start
});
await replayCandles({ pipeline, store, clock, candles: candles.slice(split) }); // each candle as if it just closed
export const orders = await store.listOrders({});
export const balances = await store.listBalances();
