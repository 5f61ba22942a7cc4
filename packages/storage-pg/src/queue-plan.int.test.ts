import { PGlite } from '@electric-sql/pglite';
import { GRANULARITIES, silentLogger, type Candle } from '@tradepipe/core';
import { testRecommendation } from '@tradepipe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreContext } from './context.js';
import { quoteSchema, runMigrations } from './migrate.js';
import { createPgliteDriver } from './pglite-driver.js';
import { putCandles } from './candles-sql.js';
import { createPgliteStore } from './pglite-store.js';
import { complete } from './complete-sql.js';
import { claim } from './queue-sql.js';
import { explainGeneric, recordingDriver, type RecordedStatement } from './test-plans.js';

const START_MS = Date.UTC(2025, 0, 1);

function candle(index: number): Candle {
  return { productId: 'BTC-USD', granularity: 'ONE_MINUTE', startMs: START_MS + index * GRANULARITIES.ONE_MINUTE, open: 100, high: 101, low: 99, close: 100, volume: 1, gapFilled: false };
}

describe('queue claims on PGlite: the plan does not read the whole table', () => {
  const database = new PGlite();
  const driver = createPgliteDriver(database, { ownsDatabase: true });
  const statements: RecordedStatement[] = [];
  // The store's own driver, recording the SQL it is asked to run.
  const recording = recordingDriver(driver, statements);
  const context: StoreContext = { driver: recording, schema: 'tradepipe', s: quoteSchema('tradepipe'), clock: undefined, logger: silentLogger };
  beforeAll(async () => {
    await runMigrations(driver, 'tradepipe', silentLogger);
    // A history of handled candles, never analyzed (fewer rows than the live path's first analyze), and one to claim.
    await putCandles(context, Array.from({ length: 900 }, (_, index) => candle(index)), 'DONE');
    await putCandles(context, [candle(900)], 'PENDING');
  });
  afterAll(() => driver.close());

  it('an ordered claim checks its partition for leased items through the leased-items index, not a scan of every candle', async () => {
    statements.length = 0;
    const claims = await claim(context, { kind: 'candle', state: 'PENDING', workerId: 'w', leaseMs: 30_000, limit: 1, ordered: true });
    expect(claims.map((claimed) => claimed.id)).toEqual([`BTC-USD/ONE_MINUTE/${START_MS + 900 * GRANULARITIES.ONE_MINUTE}`]);
    const [claimStatement] = statements;
    // The claim again, on a candle due again: explained as the prepared statement runs it.
    await driver.query(`UPDATE tradepipe.crypto_prices SET lease_owner = NULL, lease_expires_at_ms = NULL WHERE state = 'PENDING'`);
    const plan = await explainGeneric(driver, claimStatement!.text, claimStatement!.params);
    expect(plan).toContain('crypto_prices_leased_idx');
    expect(plan).not.toMatch(/Seq Scan on crypto_prices/);
  });
});

describe('a one-candle put on PGlite keeps its generic plan', () => {
  const database = new PGlite();
  const driver = createPgliteDriver(database, { ownsDatabase: true });
  const context: StoreContext = { driver, schema: 'tradepipe', s: quoteSchema('tradepipe'), clock: undefined, logger: silentLogger };
  beforeAll(async () => {
    await runMigrations(driver, 'tradepipe', silentLogger);
    // A history put one candle at a time, as the live path puts them: the put analyzes the table once it holds 1,000 and again at 2,000.
    for (let index = 0; index < 2_000; index += 1) await putCandles(context, [candle(index)], 'DONE');
  });
  afterAll(() => driver.close());

  /** How often the one-candle insert ran with each kind of plan so far. */
  async function plans(): Promise<{ generic: number; custom: number }> {
    const [row] = await driver.query<{ generic: string; custom: string }>(
      `SELECT generic_plans::text AS generic, custom_plans::text AS custom FROM pg_prepared_statements WHERE statement LIKE '%INSERT INTO "tradepipe".crypto_prices%' ORDER BY generic_plans + custom_plans DESC LIMIT 1`,
    );
    return { generic: Number(row?.generic), custom: Number(row?.custom) };
  }

  it('is not planned again on each put once the table has statistics', async () => {
    // With the candle as arrays (unnest: 10 rows to the generic plan, 1 to a custom one), the analyzed table made the
    // generic plan look dearer than a custom one, and PostgreSQL planned every put anew (0.7–1.0 ms a put on PGlite, 0.2 ms without).
    const before = await plans();
    for (let index = 2_000; index < 2_040; index += 1) await putCandles(context, [candle(index)], 'PENDING');
    const after = await plans();
    expect(after.custom - before.custom).toBe(0);
    expect(after.generic - before.generic).toBe(40);
    // And it still tells a repeat from a conflict.
    expect(await putCandles(context, [candle(2_003)], 'PENDING')).toEqual({ inserted: 0, duplicates: 1, conflicts: [] });
    expect(await putCandles(context, [{ ...candle(2_004), close: 101 }], 'PENDING')).toMatchObject({ inserted: 0, duplicates: 0, conflicts: [{ startMs: START_MS + 2_004 * GRANULARITIES.ONE_MINUTE }] });
  });
});

describe('a held item is found by its key on PGlite, not by a scan of the leased-items index', () => {
  const database = new PGlite();
  const driver = createPgliteDriver(database, { ownsDatabase: true });
  const statements: RecordedStatement[] = [];
  const recording = recordingDriver(driver, statements);
  const context: StoreContext = { driver: recording, schema: 'tradepipe', s: quoteSchema('tradepipe'), clock: undefined, logger: silentLogger };
  beforeAll(async () => {
    await runMigrations(driver, 'tradepipe', silentLogger);
    const store = await createPgliteStore({ database, migrate: false });
    await store.insertRecommendation(testRecommendation({ index: 0 }), 'PENDING_VALIDATION');
    await store.close();
    // A handled history, each item once leased and freed (on PGlite, with no autovacuum, each lease leaves a dead entry
    // in the leased-items index), with statistics.
    await driver.exec(`INSERT INTO tradepipe.trade_recommendations
        SELECT (r).* FROM (SELECT jsonb_populate_record(t, jsonb_build_object('id', t.id || '-' || n, 'state', 'DONE', 'created_at_ms', t.created_at_ms - n)) AS r
          FROM tradepipe.trade_recommendations t, generate_series(1, 3000) n) history;
      UPDATE tradepipe.trade_recommendations SET lease_owner = 'old', lease_expires_at_ms = created_at_ms WHERE state = 'DONE';
      UPDATE tradepipe.trade_recommendations SET lease_owner = NULL, lease_expires_at_ms = NULL WHERE state = 'DONE';
      ANALYZE tradepipe.trade_recommendations`);
  }, 60_000);
  afterAll(() => driver.close());

  it('a completion updates its item through the primary key', async () => {
    const [held] = await claim(context, { kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'w', leaseMs: 30_000, limit: 1 });
    statements.length = 0;
    await complete(context, held!, { state: 'PENDING_RISK' });
    const [completion] = statements;
    const plan = await explainGeneric(driver, completion!.text, completion!.params);
    expect(plan).toMatch(/Index Scan using trade_recommendations_pkey on trade_recommendations w/);
    expect(plan).not.toContain('trade_recommendations_leased_idx');
  });
});
