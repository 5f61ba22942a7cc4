/**
 * Live path overhead per candle: a started pipeline (`start()`, real clock, one candle at a time), from
 * `putCandles` to the candle's recommendation finishing EXECUTED, through every stage — signal, bridge, a 0 ms
 * validator, risk (signed approval, reservation), an executor that fills at once, and the fills hand-off.
 * Every candle trades (closes alternate ±2 %: BUY, SELL, BUY, …), so every candle takes the whole path.
 * Printed: p50 and p99 beside the targets (memory p99 < 2 ms, PGlite p99 < 10 ms).
 * Run: npm run bench -w @tradepipe/core   (BENCH_QUICK=1 for a short run)
 */
import { performance } from 'node:perf_hooks';
import { createMemoryStore, createPipeline, systemClock, type Candle, type PipelineStore } from '../src/index.js';
import { createTestApprovalSigner, testProduct } from '../src/testing.js';
import { ImmediateExecutor, LimitRiskManager, ReturnFeatureSet, ScriptedValidator, ThresholdModel } from '../src/pipeline/test-doubles.js';

const QUICK = process.env.BENCH_QUICK === '1';
const WARMUP_CANDLES = QUICK ? 20 : 50;
const MEASURED_CANDLES = QUICK ? 150 : 600;
const MINUTE_MS = 60_000;

/** Closed 1-minute candles ending a minute ago, closes alternating +2 % / −2 %. */
function candles(count: number): Candle[] {
  const firstStartMs = Math.floor(systemClock.nowMs() / MINUTE_MS) * MINUTE_MS - (count + 1) * MINUTE_MS;
  let close = 100;
  return Array.from({ length: count }, (_, index) => {
    close = index === 0 ? close : close * (index % 2 === 1 ? 1.02 : 1 / 1.02);
    return { productId: 'BTC-USD', granularity: 'ONE_MINUTE', startMs: firstStartMs + index * MINUTE_MS, open: close, high: close * 1.001, low: close * 0.999, close, volume: 1, gapFilled: false };
  });
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

/** Feeds candles one at a time to a started pipeline; returns each candle's put → finished time (ms). */
async function measure(store: PipelineStore): Promise<number[]> {
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
    tuning: { maxSignalAgeCandles: 1e9, pollIntervalMs: 1_000 },
  });
  const finished = new Map<number, () => void>();
  pipeline.on('recommendation:finished', ({ recommendation }) => finished.get(recommendation.candleStartMs)?.());
  await pipeline.start();
  const latenciesMs: number[] = [];
  try {
    const [first, ...rest] = candles(WARMUP_CANDLES + MEASURED_CANDLES + 1);
    await store.putCandles([first!]); // the engine's first candle makes no signal
    for (const [index, candle] of rest.entries()) {
      const done = new Promise<void>((resolve) => finished.set(candle.startMs, resolve));
      const startedAtMs = performance.now();
      await store.putCandles([candle]);
      await done;
      if (index >= WARMUP_CANDLES) latenciesMs.push(performance.now() - startedAtMs);
    }
  } finally {
    await pipeline.stop({ drainTimeoutMs: 1_000 });
  }
  return latenciesMs.sort((a, b) => a - b);
}

async function pgliteStore(): Promise<PipelineStore | undefined> {
  try {
    const { createPgliteStore } = await import('@tradepipe/storage-pg');
    return await createPgliteStore();
  } catch (error) {
    process.stdout.write(`PGlite store unavailable (${error instanceof Error ? error.message : String(error)}); skipped\n`);
    return undefined;
  }
}

const rows: string[] = [];
for (const [name, targetP99Ms, open] of [
  ['memory', 2, async () => createMemoryStore()],
  ['pglite', 10, pgliteStore],
] as const) {
  const store = await open();
  if (store === undefined) continue;
  try {
    const sorted = await measure(store);
    const p50 = percentile(sorted, 0.5);
    const p99 = percentile(sorted, 0.99);
    rows.push(`| ${name} | ${sorted.length} | ${p50.toFixed(2)} | ${p99.toFixed(2)} | < ${targetP99Ms} | ${(p99 / targetP99Ms).toFixed(2)} |`);
  } finally {
    await store.close();
  }
}
process.stdout.write(
  [
    `live path, one candle at a time, 0 ms validator, whole path to EXECUTED (${QUICK ? 'quick' : 'full'} run)`,
    '| store | candles | p50 ms | p99 ms | target p99 ms | p99 / target |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n') + '\n',
);
