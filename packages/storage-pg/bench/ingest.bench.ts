/**
 * Candle ingest: the store's putCandles (validation + dedup on (product, granularity, start) included) on the
 * server (COPY) and on PGlite (INSERT … SELECT unnest), beside a plain `pg` multi-row INSERT baseline.
 * Run: npm run bench -w @tradepipe/storage-pg   (BENCH_QUICK=1 for a short run)
 */
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import type { Candle } from '@tradepipe/core';
import { createPgStore, createPgliteStore } from '../src/index.js';
import { DATABASE_URL, QUICK, medianMs, minuteCandles, printTable } from './bench-support.js';

const ROWS = QUICK ? 20_000 : 200_000;
const RUNS = QUICK ? 1 : 3;
const BATCH = QUICK ? 10_000 : 50_000;
const schema = `tp_bench_ingest_${process.pid}`;

async function baselineMultiRowInsert(pool: pg.Pool, candles: readonly Candle[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (let start = 0; start < candles.length; start += 1_000) {
      const slice = candles.slice(start, start + 1_000);
      const values: unknown[] = [];
      const tuples = slice.map((candle, index) => {
        values.push(candle.productId, candle.granularity, candle.startMs, candle.open, candle.high, candle.low, candle.close, candle.volume, candle.gapFilled);
        const base = index * 9;
        return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7}, $${base + 8}, $${base + 9})`;
      });
      await client.query(
        `INSERT INTO "${schema}".baseline (product_id, granularity, start_ms, open, high, low, close, volume, gap_filled) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`,
        values,
      );
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

async function inBatches(candles: readonly Candle[], write: (batch: readonly Candle[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < candles.length; start += BATCH) await write(candles.slice(start, start + BATCH));
}

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
const store = await createPgStore({ pool, schema });
await pool.query(`CREATE TABLE "${schema}".baseline (product_id text, granularity text, start_ms bigint, open numeric, high numeric, low numeric,
  close numeric, volume numeric, gap_filled boolean, PRIMARY KEY (product_id, granularity, start_ms))`);
const productOf = (run: number): string => `B${run}-USD`;

const baselineMs = await medianMs(RUNS, (run) => baselineMultiRowInsert(pool, minuteCandles(ROWS, productOf(run))));
const storeMs = await medianMs(RUNS, (run) => inBatches(minuteCandles(ROWS, productOf(run)), (batch) => store.putCandles(batch, { state: 'DONE' })));
const replayMs = await medianMs(RUNS, (run) => inBatches(minuteCandles(ROWS, productOf(run)), (batch) => store.putCandles(batch, { state: 'DONE' })));
await store.close();
await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
await pool.end();

const database = await PGlite.create();
const embedded = await createPgliteStore({ database });
const pgliteRows = Math.min(ROWS, QUICK ? 20_000 : 100_000);
const pgliteMs = await medianMs(RUNS, (run) => inBatches(minuteCandles(pgliteRows, productOf(run)), (batch) => embedded.putCandles(batch, { state: 'DONE' })));
await embedded.close();
await database.close();

const baselinePerSecond = (ROWS / baselineMs) * 1000;
printTable(`Candle ingest, ${ROWS.toLocaleString('en-US')} one-minute candles per run, median of ${RUNS} (validation and dedup included)`, [
  { measure: 'server: store putCandles (COPY, new candles)', value: (ROWS / storeMs) * 1000, unit: 'rows/s', reference: { name: 'pg multi-row INSERT', value: baselinePerSecond }, target: 100_000 },
  { measure: 'server: store putCandles replay (all duplicates)', value: (ROWS / replayMs) * 1000, unit: 'rows/s', reference: { name: 'pg multi-row INSERT', value: baselinePerSecond } },
  { measure: `PGlite: store putCandles (COPY through a file, ${pgliteRows.toLocaleString('en-US')} rows)`, value: (pgliteRows / pgliteMs) * 1000, unit: 'rows/s', reference: { name: 'pg multi-row INSERT', value: baselinePerSecond } },
]);
