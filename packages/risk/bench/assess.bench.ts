/**
 * Risk assessments per second with 50 open positions and 14 days of 1-minute candles per product, beside a
 * direct computation of the same 51 volatilities from in-memory arrays (the work an assessment must at least
 * do without a cache). `BENCH_QUICK=1` runs a small version.
 */
import {
  createManualClock,
  createMemoryStore,
  decimal,
  silentLogger,
  type Candle,
  type PipelineStore,
  type StageContext,
  type TradeRecommendation,
} from '@tradepipe/core';
import { createTestApprovalSigner, testProduct, testRecommendation } from '@tradepipe/core/testing';
import { performance } from 'node:perf_hooks';
import { createRiskManager } from '../src/index.js';

const quick = process.env.BENCH_QUICK === '1';
const positions = 50;
const days = quick ? 4 : 14;
const warmRuns = quick ? 300 : 1000;
const coldRuns = quick ? 10 : 20;
const liveRuns = 100;
const minuteMs = 60_000;
const bars = days * 1_440 + 1;
const nowMs = Date.UTC(2025, 0, 15);
const products = ['BTC-USD', ...Array.from({ length: positions }, (_, index) => `C${String(index).padStart(3, '0')}-USD`)];

function closesFor(seed: number): Float64Array {
  const closes = new Float64Array(bars);
  let price = 100 + seed;
  let state = seed * 7919 + 1;
  for (let index = 0; index < bars; index += 1) {
    state = (state * 48271) % 2147483647;
    price *= Math.exp(((state / 2147483647) - 0.5) * 0.004);
    closes[index] = price;
  }
  return closes;
}

async function setup(): Promise<{ store: PipelineStore; context: StageContext; closes: Float64Array[]; clock: ReturnType<typeof createManualClock> }> {
  const clock = createManualClock(nowMs);
  const store = createMemoryStore({ clock });
  const closes = products.map((_, index) => closesFor(index + 1));
  for (const [index, productId] of products.entries()) {
    await store.putProduct(testProduct({ productId, baseCurrency: productId.split('-')[0]! }));
    const series = closes[index]!;
    const candles: Candle[] = [];
    for (let bar = 0; bar < bars; bar += 1) {
      const close = series[bar]!;
      candles.push({ productId, granularity: 'ONE_MINUTE', startMs: nowMs - (bars - bar) * minuteMs, open: close, high: close, low: close, close, volume: 1, gapFilled: false });
    }
    await store.putCandles(candles, { state: 'DONE' });
    if (index > 0) {
      const price = decimal(series[bars - 1]!.toFixed(2));
      await store.recordFill(
        { id: `fill-${productId}`, orderId: `order-${productId}`, clientOrderId: `client-${productId}`, venue: 'paper', productId, side: 'BUY', price, sizeBase: decimal('1'), commission: decimal('0'), liquidity: 'TAKER', filledAtMs: nowMs - 3_600_000 },
        { quoteCurrency: 'USD', baseCurrency: productId.split('-')[0]! },
      );
    }
  }
  await store.putBalances([{ currency: 'USD', available: decimal('100000000'), hold: decimal('0'), updatedAtMs: nowMs }]);
  return { store, closes, clock, context: { pipelineId: 'bench', clock, logger: silentLogger, signal: new AbortController().signal, store } };
}

/** The reference: Bessel-corrected sd of log returns × √(365 × 1440), straight from an array, one log per return. */
function directVolatility(closes: Float64Array): number {
  const count = closes.length - 1;
  const returns = new Float64Array(count);
  let sum = 0;
  for (let index = 0; index < count; index += 1) {
    returns[index] = Math.log(closes[index + 1]! / closes[index]!);
    sum += returns[index]!;
  }
  const mean = sum / count;
  let squares = 0;
  for (let index = 0; index < count; index += 1) squares += (returns[index]! - mean) ** 2;
  return Math.sqrt(squares / (count - 1)) * Math.sqrt(365 * 1_440);
}

const limits = { maxOrderQuote: 1e6, maxPositionQuote: 1e9, maxTotalExposureQuote: 1e12, maxPortfolioHeat: 1e6, maxDailyLossFraction: 1, maxOrdersPerHour: 1e6, minVolatilityReturns: 2, volatilityWindowDays: days };
let sequence = 0;
const nextRecommendation = (): TradeRecommendation => {
  sequence += 1;
  return testRecommendation({ granularity: 'ONE_MINUTE', candleStartMs: nowMs - minuteMs - sequence * minuteMs, createdAtMs: nowMs, referencePrice: 100 });
};

async function main(): Promise<void> {
  const setupStart = performance.now();
  const { context, closes, clock } = await setup();
  const setupMs = performance.now() - setupStart;
  const signer = createTestApprovalSigner();

  const referenceStart = performance.now();
  const referenceRuns = quick ? 20 : 50;
  let reference = 0;
  for (let run = 0; run < referenceRuns; run += 1) for (const series of closes) reference = directVolatility(series);
  const referenceMs = (performance.now() - referenceStart) / referenceRuns;

  const warm = createRiskManager({ limits, signer, approvalTtlMs: 1 });
  const first = await warm.assess(nextRecommendation(), context);
  const matches = Math.abs(first.assessment.volatilityAnnualized - directVolatility(closes[0]!)) < 1e-9 && reference > 0;
  for (let run = 0; run < 50; run += 1) {
    await warm.assess(nextRecommendation(), context); // JIT warm-up, not timed
    clock.advance(1);
  }
  const warmStart = performance.now();
  for (let run = 0; run < warmRuns; run += 1) {
    await warm.assess(nextRecommendation(), context);
    clock.advance(1); // the 1 ms approval lapses, so reservations do not pile up across runs
  }
  const warmMs = (performance.now() - warmStart) / warmRuns;

  const coldStart = performance.now();
  for (let run = 0; run < coldRuns; run += 1) {
    await createRiskManager({ limits, signer, approvalTtlMs: 1, cacheVolatility: false }).assess(nextRecommendation(), context);
    clock.advance(1);
  }
  const coldMs = (performance.now() - coldStart) / coldRuns;

  // Live: one new candle per product closes before each assessment (the cache extends its windows).
  let liveMs = 0;
  for (let run = 0; run < liveRuns; run += 1) {
    const startMs = nowMs + run * minuteMs;
    clock.set(startMs + minuteMs);
    await context.store.putCandles(
      products.map((productId, index) => {
        const close = closes[index]![bars - 1]! * (1 + 0.0005 * Math.sin(run + index));
        return { productId, granularity: 'ONE_MINUTE' as const, startMs, open: close, high: close, low: close, close, volume: 1, gapFilled: false };
      }),
      { state: 'DONE' },
    );
    const liveStart = performance.now();
    await warm.assess(nextRecommendation(), context);
    liveMs += performance.now() - liveStart;
  }
  liveMs /= liveRuns;

  // Quick mode's 4-day windows make the reference small, so the fixed cost of an assessment weighs more there.
  const cachedTarget = quick ? 1 : 0.25;
  const rows = [
    ['assessment, volatility windows cached', `${warmMs.toFixed(3)} ms (${(1000 / warmMs).toFixed(0)}/s)`, `${referenceMs.toFixed(3)} ms`, (warmMs / referenceMs).toFixed(3), `≤ ${cachedTarget}× reference`, warmMs <= cachedTarget * referenceMs],
    ['assessment, a new candle per product each time', `${liveMs.toFixed(3)} ms (${(1000 / liveMs).toFixed(0)}/s)`, `${referenceMs.toFixed(3)} ms`, (liveMs / referenceMs).toFixed(3), `≤ ${cachedTarget}× reference`, liveMs <= cachedTarget * referenceMs],
    ['assessment, no cache (cold replica)', `${coldMs.toFixed(3)} ms (${(1000 / coldMs).toFixed(1)}/s)`, `${referenceMs.toFixed(3)} ms`, (coldMs / referenceMs).toFixed(3), '≤ 5.0× reference', coldMs <= 5 * referenceMs],
  ] as const;
  console.log(`risk assess bench: ${positions} positions + 1 traded product, ${days} days of 1-minute candles (${bars} per product), ${quick ? 'QUICK' : 'full'} run; setup ${(setupMs / 1000).toFixed(1)} s`);
  console.log(`reference: direct volatility of the same ${products.length} series from in-memory arrays; assessment volatility matches reference: ${matches ? 'yes' : 'NO'}`);
  console.log('| measure | measured | reference | ratio | target | result |');
  console.log('|---|---|---|---|---|---|');
  for (const [name, measured, ref, ratio, target, met] of rows) console.log(`| ${name} | ${measured} | ${ref} | ${ratio} | ${target} | ${met ? 'MET' : 'MISSED'} |`);
}

await main();
