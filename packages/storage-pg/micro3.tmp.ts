import { PGlite } from '@electric-sql/pglite';
import { createManualClock, silentLogger } from '@tradepipe/core';
import { minuteCandles } from './bench/bench-support.js';
import { createPgliteDriver } from './src/pglite-driver.js';
import { runMigrations } from './src/migrate.js';
import { SqlStore } from './src/sql-store.js';
const db = await PGlite.create();
let inProto = 0;
const orig = db.execProtocolStream.bind(db);
db.execProtocolStream = async (m, o) => { const t = performance.now(); try { return await orig(m, o); } finally { inProto += performance.now() - t; } };
const driver = createPgliteDriver(db, { ownsDatabase: true });
await runMigrations(driver, 'x');
const store = new SqlStore({ driver, schema: 'x', s: '"x"', clock: createManualClock(Date.UTC(2025, 0, 1)), logger: silentLogger });
const candles = minuteCandles(1000);
await store.putCandles(candles, { state: 'DONE' });
for (const [name, fn] of [
  ['store.getCandle', (i: number) => store.getCandle('BTC-USD', 'ONE_MINUTE', candles[i % 1000]!.startMs)],
  ['driver.query', (i: number) => driver.query(`SELECT product_id, granularity, start_ms, open, high, low, close, volume, gap_filled FROM "x".crypto_prices WHERE product_id = $1 AND granularity = $2 AND start_ms = $3`, ['BTC-USD', 'ONE_MINUTE', candles[i % 1000]!.startMs])],
  ['driver.query select 1', () => driver.query('SELECT 1 AS one')],
  ['db.query select 1', () => db.query('SELECT 1 AS one')],
] as const) {
  inProto = 0;
  const t = performance.now();
  for (let i = 0; i < 1000; i++) await fn(i);
  const total = performance.now() - t;
  console.log(name.padEnd(24), (total / 1000).toFixed(3), 'ms/call', (inProto / 1000).toFixed(3), 'in execProtocolStream');
}
await store.close();
