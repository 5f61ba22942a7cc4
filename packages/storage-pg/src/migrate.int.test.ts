import { contentHash, type Signal } from '@tradepipe/core';
import { testSignal } from '@tradepipe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations-sql.js';
import { createPgStore } from './pg-store.js';
import { dropSchema, openTestPool, testSchemaName } from './test-database.js';

const pool = await openTestPool(12);

describe.runIf(pool !== undefined)('migrate on a PostgreSQL server', () => {
  const schema = testSchemaName('migrate');
  const olderSchema = testSchemaName('migrate_v3');
  afterAll(async () => {
    if (pool === undefined) return;
    await dropSchema(pool, schema);
    await dropSchema(pool, olderSchema);
    await pool.end();
  });

  it('applies each migration once when many starters migrate at the same time', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => migrate(pool!, { schema })));
    const newest = MIGRATIONS.at(-1)!.version;
    expect(results.every((result) => result.version === newest)).toBe(true);
    expect(results.flatMap((result) => result.applied)).toEqual(MIGRATIONS.map((migration) => migration.version));
    const { rows } = await pool!.query(`SELECT count(*)::int AS count FROM "${schema}".schema_migrations`);
    expect(rows[0].count).toBe(MIGRATIONS.length);
    expect(await migrate(pool!, { schema })).toEqual({ applied: [], version: newest });
  });

  it('creates the tables the stages use, with money in numeric columns', async () => {
    const { rows } = await pool!.query(
      `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1`,
      [schema],
    );
    const tables = new Set(rows.map((row) => row.table_name));
    for (const table of ['crypto_prices', 'trading_signals', 'trade_recommendations', 'llm_validation', 'risk_assessments', 'risk_approvals',
      'exposure_reservations', 'orders', 'fills', 'positions', 'balances', 'products', 'risk_state', 'equity_snapshots', 'checkpoints', 'health_events']) {
      expect(tables).toContain(table);
    }
    const typeOf = (table: string, column: string) => rows.find((row) => row.table_name === table && row.column_name === column)?.data_type;
    for (const [table, column] of [['orders', 'filled_quote_value'], ['fills', 'price'], ['fills', 'commission'], ['positions', 'realized_pnl_quote'],
      ['balances', 'available'], ['crypto_prices', 'close'], ['exposure_reservations', 'quote_amount']]) {
      expect(typeOf(table!, column!)).toBe('numeric');
    }
    expect(rows.filter((row) => row.data_type === 'double precision' || row.data_type === 'real').map((row) => `${row.table_name}.${row.column_name}`)).toEqual([
      'trading_signals.confidence',
    ]);
  });

  it('gives up on a table lock held too long instead of queueing the replicas behind it, and applies nothing', async () => {
    const lockedSchema = testSchemaName('migrate_locked');
    await migrate(pool!, { schema: lockedSchema });
    const newest = MIGRATIONS.at(-1)!.version;
    // The newest migration's row removed: the run has something pending, and must apply none of it.
    await pool!.query(`DELETE FROM "${lockedSchema}".schema_migrations WHERE version = $1`, [newest]);
    const holder = await pool!.connect();
    let holding = true;
    try {
      // A long transaction holding the table the migration must read (as a busy replica holds a table a migration alters).
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE "${lockedSchema}".schema_migrations IN ACCESS EXCLUSIVE MODE`);
      await expect(migrate(pool!, { schema: lockedSchema, lockTimeoutMs: 200 })).rejects.toMatchObject({ code: 'storage_unavailable', details: { sqlState: '55P03' } });
      await holder.query('ROLLBACK');
      holding = false;
      const { rows } = await pool!.query(`SELECT max(version)::int AS version FROM "${lockedSchema}".schema_migrations`);
      expect(rows[0].version).toBe(newest - 1);
    } finally {
      if (holding) await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
      await dropSchema(pool!, lockedSchema);
    }
    for (const lockTimeoutMs of [-1, 1.5, 2_147_483_648]) {
      await expect(migrate(pool!, { schema: lockedSchema, lockTimeoutMs })).rejects.toMatchObject({ code: 'config_invalid' });
    }
  });

  it('with createSchema: false, refuses a schema without the store tables and creates nothing, and opens a migrated one', async () => {
    const missing = testSchemaName('migrate_missing');
    for (const migrateOnOpen of [true, false]) {
      const error = await createPgStore({ pool: pool!, schema: missing, createSchema: false, migrate: migrateOnOpen }).catch((thrown: unknown) => thrown);
      expect(error).toMatchObject({ code: 'not_found', details: { schema: missing } });
    }
    const { rows } = await pool!.query(`SELECT count(*)::int AS count FROM information_schema.schemata WHERE schema_name = $1`, [missing]);
    expect(rows[0].count).toBe(0);
    const store = await createPgStore({ pool: pool!, schema, createSchema: false });
    expect((await store.getRiskState()).killSwitch.engaged).toBe(false);
    await store.close();
  });

  it('refuses to run against a schema newer than the store', async () => {
    await pool!.query(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES (9999, 'from the future')`);
    await expect(migrate(pool!, { schema })).rejects.toMatchObject({ code: 'storage_failed' });
    await pool!.query(`DELETE FROM "${schema}".schema_migrations WHERE version = 9999`);
  });

  it('keeps signals stored before feature_values (version 4) whole and readable, first write winning against bulk writes', async () => {
    const quoted = `"${olderSchema}"`;
    await pool!.query(`CREATE SCHEMA ${quoted}`);
    await pool!.query(`CREATE TABLE ${quoted}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    for (const migration of MIGRATIONS.filter((each) => each.version <= 3)) {
      await pool!.query(migration.sql.replaceAll('__SCHEMA__', quoted));
      await pool!.query(`INSERT INTO ${quoted}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
    }
    const values = [0.1 + 0.2, 1 / 3, 5e-324, 1.7976931348623157e308, -Math.E];
    const base = testSignal({ candleStartMs: Date.UTC(2025, 0, 1), granularity: 'ONE_MINUTE' });
    const stored: Signal = { ...base, features: { ...base.features, values } };
    // As version 3 stored every signal: the whole record in jsonb.
    await pool!.query(
      `INSERT INTO ${quoted}.trading_signals (id, pipeline_id, product_id, granularity, candle_start_ms, action, confidence, model_id, model_version, record, content_hash, state, available_at_ms, updated_at_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, 'DONE', 0, 0)`,
      [stored.id, stored.pipelineId, stored.productId, stored.granularity, stored.candleStartMs, stored.action, stored.confidence, stored.modelId, stored.modelVersion, JSON.stringify(stored), contentHash(stored)],
    );

    const store = await createPgStore({ pool: pool!, schema: olderSchema });
    try {
      expect(await store.getSignal(stored.id)).toEqual(stored);
      await store.writeBulk({ signals: [{ record: stored, state: 'DONE' }] });
      await expect(store.writeBulk({ signals: [{ record: { ...stored, features: { ...stored.features, values: [...values, 1] } }, state: 'DONE' }] })).rejects.toMatchObject({
        code: 'record_conflict',
      });
      const next = testSignal({ candleStartMs: Date.UTC(2025, 0, 1, 0, 1), granularity: 'ONE_MINUTE' });
      const written: Signal = { ...next, features: { ...next.features, values } };
      await store.writeBulk({ signals: [{ record: written, state: 'DONE' }] });
      expect(await store.getSignal(written.id)).toEqual(written);
      const { rows } = await pool!.query(
        `SELECT id, record->'features'->'values' IS NULL AS apart, octet_length(feature_values) AS bytes FROM ${quoted}.trading_signals ORDER BY candle_start_ms`,
      );
      expect(rows).toEqual([
        { id: stored.id, apart: false, bytes: null },
        { id: written.id, apart: true, bytes: 8 * values.length },
      ]);
    } finally {
      await store.close();
    }
  });
});
