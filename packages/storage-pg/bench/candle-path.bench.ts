/**
 * A candle's path through the full pipeline (features, the shipped model, the $100 bridge, the rule validator,
 * risk with exits, the paper executor) on the memory store, PGlite and the PostgreSQL server: store calls,
 * protocol round trips and milliseconds per replayed candle (the bundled daily BTC-USD hold-out year, warmed
 * with the history before it, as the embedded example runs it).
 * Run: npm run bench -w @tradepipe/storage-pg   (BENCH_QUICK=1 for a short run; BENCH_DETAIL=1 per store method)
 */
import { createManualClock, createMemoryStore, replayCandles, type Candle } from '@tradepipe/core';
import pg from 'pg';
import { DATABASE_URL, QUICK } from './bench-support.js';
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
