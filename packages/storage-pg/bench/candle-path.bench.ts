/**
 * A candle's path through the full pipeline (features, the shipped model, the $100 bridge, the rule validator,
 * risk with exits, the paper executor) on the memory store, PGlite and the PostgreSQL server: store calls,
 * protocol round trips and milliseconds per replayed candle (the bundled daily BTC-USD hold-out year, warmed
 * with the history before it, as the embedded example runs it).
 * Run: npm run bench -w @tradepipe/storage-pg   (BENCH_QUICK=1 for a short run; BENCH_DETAIL=1 per store method)
 */
import { createManualClock, createMemoryStore, replayCandles, type Candle, type PipelineStore, type Signal } from '@tradepipe/core';
import { testSignal } from '@tradepipe/core/testing';
import pg from 'pg';
import { createPgliteStore } from '../src/index.js';
import { DATABASE_URL, QUICK, minuteCandles } from './bench-support.js';
import { createCountingStore, createEmbeddedBenchPipeline, HOLD_OUT_START_MS, loadBundledDailyCandles, openInstrumentedStore, type StoreKind } from './pipeline-support.js';

const DETAIL = process.env.BENCH_DETAIL === '1';
const data = loadBundledDailyCandles();
const history = data.filter((candle) => candle.startMs < HOLD_OUT_START_MS);
const holdOut = data.filter((candle) => candle.startMs >= HOLD_OUT_START_MS).slice(0, QUICK ? 40 : undefined);

interface PathFigures {
  readonly kind: StoreKind;
  readonly candles: number;
  readonly storeCallsPerCandle: number;
  readonly roundTripsPerCandle: number | undefined;
  readonly msPerCandle: number;
  readonly recommendations: number;
  readonly orders: number;
}

async function replayOn(kind: StoreKind, candles: readonly Candle[]): Promise<PathFigures> {
  const clock = createManualClock(HOLD_OUT_START_MS);
  const memory = createMemoryStore({ clock });
  const instrumented = kind === 'memory' ? { store: memory, roundTrips: () => 0, close: () => memory.close() } : await openInstrumentedStore(kind, clock);
  const counting = createCountingStore(instrumented.store, instrumented.roundTrips);
  try {
    await instrumented.store.putCandles(history, { state: 'DONE' });
    const pipeline = await createEmbeddedBenchPipeline(counting.store, clock);
    // Not counted: warming up (loading checkpoints, the first statements) happens on the first candle.
    await replayCandles({ pipeline, store: counting.store, clock, candles: candles.slice(0, 1) });
    counting.reset();
    const startedAt = performance.now();
    await replayCandles({ pipeline, store: counting.store, clock, candles: candles.slice(1) });
    const elapsedMs = performance.now() - startedAt;
    const replayed = candles.length - 1;
    if (DETAIL) counting.print(kind, replayed);
    return {
      kind,
      candles: replayed,
      storeCallsPerCandle: counting.calls() / replayed,
      roundTripsPerCandle: kind === 'memory' ? undefined : counting.roundTrips() / replayed,
      msPerCandle: elapsedMs / replayed,
      recommendations: (await instrumented.store.listRecommendations({})).length,
      orders: (await instrumented.store.listOrders({})).length,
    };
  } finally {
    await instrumented.close();
  }
}

async function serverReachable(): Promise<boolean> {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1, connectionTimeoutMillis: 3_000 });
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
    return true;
  } catch {
    console.log(`\nPostgreSQL at ${DATABASE_URL.replace(/:[^:@/]*@/, ':***@')} is unreachable: server figures skipped`);
    return false;
  } finally {
    await pool.end();
  }
}

const figures: PathFigures[] = [await replayOn('memory', holdOut), await replayOn('pglite', holdOut)];
if (await serverReachable()) figures.push(await replayOn('postgres', holdOut));

const memory = figures[0]!;
console.log(`\nA candle's path, full pipeline, bundled daily BTC-USD hold-out year (${memory.candles} candles replayed)${QUICK ? ' (BENCH_QUICK)' : ''}`);
console.log('| store | store calls / candle | round trips / candle | ms / candle | ms / candle vs memory | recommendations | orders |');
console.log('|---|---|---|---|---|---|---|');
for (const row of figures) {
  const roundTrips = row.roundTripsPerCandle === undefined ? '–' : row.roundTripsPerCandle.toFixed(1);
  const ratio = `${(row.msPerCandle / memory.msPerCandle).toFixed(1)}×`;
  console.log(`| ${row.kind} | ${row.storeCallsPerCandle.toFixed(1)} | ${roundTrips} | ${row.msPerCandle.toFixed(2)} | ${ratio} | ${row.recommendations} | ${row.orders} |`);
}

// The batched replay's writes: a year of 1-minute candles with a signal each (51 feature values, as the feature
// set makes), in one writeBulk. Target: well under the 60 s the whole PGlite batched replay may take.
// BENCH_BULK_CANDLES overrides the size (e.g. to keep a full run short on a busy machine).
const BULK_CANDLES = Number(process.env.BENCH_BULK_CANDLES ?? (QUICK ? 10_000 : 525_600));

function bulkSignals(candles: readonly Candle[]): { record: Signal; state: 'DONE' }[] {
  return candles.map((candle, index) => {
    const signal = testSignal({ candleStartMs: candle.startMs, granularity: 'ONE_MINUTE', pipelineId: 'bench' });
    const values = Array.from({ length: 51 }, (_, feature) => Math.round(Math.sin(index * 51 + feature) * 1e6) / 1e4);
    return { record: { ...signal, features: { ...signal.features, values } }, state: 'DONE' };
  });
}

/** Wall and process CPU seconds (user + system, every thread) of one writeBulk. */
async function writeBulkSeconds(store: PipelineStore, candles: readonly Candle[], signals: ReturnType<typeof bulkSignals>): Promise<{ seconds: number; cpuSeconds: number }> {
  const startedAt = performance.now();
  const cpu = process.cpuUsage();
  await store.writeBulk({ candles, signals });
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - startedAt) / 1000;
  const counts = await store.countByState('signal');
  if (counts.DONE !== signals.length) throw new Error(`writeBulk stored ${counts.DONE ?? 0} of ${signals.length} signals`);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

const bulkCandles = minuteCandles(BULK_CANDLES);
const signals = bulkSignals(bulkCandles);
const bulkRows: { store: string; seconds: number; cpuSeconds: number }[] = [];
const memoryStore = createMemoryStore();
bulkRows.push({ store: 'memory (minimal writeBulk of this branch)', ...(await writeBulkSeconds(memoryStore, bulkCandles, signals)) });
// As the batched replay opens it: an instance of its own in memory (bulk tables UNLOGGED, files growing in larger steps).
const ownPglite = await createPgliteStore({ clock: createManualClock(Date.UTC(2025, 0, 1)) });
try {
  bulkRows.push({ store: 'pglite, own in-memory instance (as the replay opens it)', ...(await writeBulkSeconds(ownPglite, bulkCandles, signals)) });
} finally {
  await ownPglite.close();
}
for (const kind of ['pglite', 'postgres'] as const) {
  if (kind === 'postgres' && figures.length < 3) continue;
  const instrumented = await openInstrumentedStore(kind, createManualClock(Date.UTC(2025, 0, 1)));
  try {
    // On PGlite: a fresh in-memory instance, as a caller passes one in (its tables stay logged).
    const label = kind === 'pglite' ? 'pglite, an instance the caller passes in (tables logged)' : kind;
    bulkRows.push({ store: label, ...(await writeBulkSeconds(instrumented.store, bulkCandles, signals)) });
  } finally {
    await instrumented.close();
  }
}
console.log(`\nwriteBulk: ${BULK_CANDLES.toLocaleString('en-US')} 1-minute candles + ${BULK_CANDLES.toLocaleString('en-US')} signals (51 features each), one call${QUICK ? ' (BENCH_QUICK)' : ''}`);
console.log('| store | seconds | CPU seconds | rows / s | target (525,600 + 525,600 on PGlite) |');
console.log('|---|---|---|---|---|');
for (const row of bulkRows) {
  const target = row.store.startsWith('pglite') ? (QUICK ? 'full run only' : `< 30 s (well under 60 s): ${row.seconds < 30 ? 'MET' : 'MISSED'}`) : '–';
  console.log(`| ${row.store} | ${row.seconds.toFixed(1)} | ${row.cpuSeconds.toFixed(1)} | ${Math.round((2 * BULK_CANDLES) / row.seconds).toLocaleString('en-US')} | ${target} |`);
}
