// A user's first pipeline, type-checked against the published .d.ts of the packed tarballs and run with
// `import`: every stage package, the shipped default model, an in-memory store and an embedded PGlite one.
import { createHmacApprovalSigner, createManualClock, createMemoryStore, createPipeline, decimal, type Candle, type PipelineStore } from '@tradepipe/core';
import { PaperExecutor } from '@tradepipe/coinbase';
import { FEATURE_NAMES, FEATURE_SET_VERSION, WARMUP_CANDLES, createFeatureSet } from '@tradepipe/features';
import { createRuleValidator } from '@tradepipe/llm-validator';
import { loadDefaultModel } from '@tradepipe/model';
import { createExitPolicy, createRiskManager } from '@tradepipe/risk';
import { createPgliteStore } from '@tradepipe/storage-pg';

const DAY_MS = 86_400_000;
const startMs = Date.UTC(2023, 0, 1);
// A synthetic daily series long enough to warm every feature.
const candles: Candle[] = Array.from({ length: WARMUP_CANDLES + 30 }, (_, index) => {
  const close = 20_000 * (1 + 0.3 * Math.sin(index / 40)) * (1 + 0.02 * Math.sin(index * 1.7));
  return { productId: 'BTC-USD', granularity: 'ONE_DAY', startMs: startMs + index * DAY_MS, open: close * 0.995, high: close * 1.01, low: close * 0.985, close, volume: 100 + (index % 7), gapFilled: false };
});

async function run(store: PipelineStore, clock: ReturnType<typeof createManualClock>): Promise<Record<string, number>> {
  const signer = createHmacApprovalSigner({ keyId: 'consumer', secret: 'consumer-test-secret-0123456789abcdef' });
  await store.putProduct({
    productId: 'BTC-USD', baseCurrency: 'BTC', quoteCurrency: 'USD', baseIncrement: decimal('0.00000001'), quoteIncrement: decimal('0.01'),
    priceIncrement: decimal('0.01'), baseMinSize: decimal('0.00000001'), quoteMinSize: decimal('1'), status: 'online',
  });
  await store.putBalances([{ currency: 'USD', available: decimal('1000'), hold: decimal('0'), updatedAtMs: clock.nowMs() }]);
  const pipeline = createPipeline({
    pipelineId: 'consumer',
    store,
    clock,
    features: createFeatureSet(),
    model: await loadDefaultModel({ expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION }),
    validator: createRuleValidator({ minConfidence: 0.34 }),
    risk: createRiskManager({ signer, approvalTtlMs: 60_000, limits: { maxOrderQuote: 100, maxPositionQuote: 500, maxTotalExposureQuote: 500, maxPortfolioHeat: 1, maxDailyLossFraction: 0.1, maxOrdersPerHour: 10 } }),
    exits: createExitPolicy({}),
    executor: new PaperExecutor({ approvalSigner: signer, takerFeeRateBps: 120 }),
  });
  await store.putCandles(candles.slice(0, WARMUP_CANDLES), { state: 'DONE' });
  for (const candle of candles.slice(WARMUP_CANDLES)) {
    clock.set(candle.startMs + DAY_MS);
    await store.putCandles([candle]);
    await pipeline.runUntilIdle();
  }
  const states = await store.countByState('signal');
  return { signals: Object.values(states).reduce((sum: number, count) => sum + (count ?? 0), 0), orders: (await store.listOrders({})).length };
}

const memoryClock = createManualClock(startMs + WARMUP_CANDLES * DAY_MS);
const memory = await run(createMemoryStore({ clock: memoryClock }), memoryClock);
const pgliteClock = createManualClock(startMs + WARMUP_CANDLES * DAY_MS);
const pgliteStore = await createPgliteStore({ clock: pgliteClock });
const pglite = await run(pgliteStore, pgliteClock);
await pgliteStore.close();
if (memory.signals !== 30 || JSON.stringify(memory) !== JSON.stringify(pglite)) throw new Error(`unexpected outcome ${JSON.stringify({ memory, pglite })}`);
console.log(JSON.stringify({ memory, pglite }));
