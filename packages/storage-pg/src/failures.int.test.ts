import { createJsonLogger, isTradepipeError, silentLogger, type TradepipeError } from '@tradepipe/core';
import { testApproval, testAssessment, testRecommendation } from '@tradepipe/core/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { guarded } from './db-errors.js';
import { createPgDriver } from './pg-driver.js';
import { createPgStore } from './pg-store.js';
import { TEST_DATABASE_URL, dropSchema, openTestPool, testSchemaName } from './test-database.js';

const pool = await openTestPool();

async function caught(promise: Promise<unknown>): Promise<TradepipeError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!isTradepipeError(error)) throw new Error(`expected a TradepipeError, got ${String(error)}`);
  return error;
}

function everythingPrinted(error: TradepipeError): string {
  return [error.message, JSON.stringify(error), JSON.stringify(error.cause), String(error.stack)].join('\n');
}

describe.runIf(pool !== undefined)('failures on a PostgreSQL server', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    if (pool === undefined) return;
    for (const schema of schemas) await dropSchema(pool, schema);
    await pool.end();
  });

  it('rolls back a transaction whose connection is lost and reports a retryable storage_unavailable', async () => {
    const schema = testSchemaName('lost');
    schemas.push(schema);
    const applicationName = `tp_lost_${process.pid}`;
    const store = await createPgStore({ connectionString: TEST_DATABASE_URL, schema, applicationName });
    const admin = await pool!.connect();
    try {
      const recommendation = testRecommendation();
      const nowMs = await store.nowMs();
      const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 600_000 });
      const decision = { assessment: testAssessment(recommendation), approval, reservation };
      // Hold the risk-state lock so the decision's transaction waits mid-way, then cut its connection.
      await admin.query('BEGIN');
      await admin.query(`SELECT 1 FROM "${schema}".risk_state WHERE id = 1 FOR UPDATE`);
      const pending = caught(store.recordRiskDecision(decision));
      for (let attempt = 0; attempt < 50; attempt += 1) {
        const { rows } = await pool!.query(`SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [
          applicationName,
        ]);
        if (rows.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const error = await pending;
      await admin.query('ROLLBACK');
      expect(error.code).toBe('storage_unavailable');
      expect(error.retryable).toBe(true);
      expect(error.details).toMatchObject({ operation: 'recordRiskDecision' });
      expect(await store.getRiskAssessment(recommendation.id)).toBeUndefined();
      expect(await store.listActiveReservations()).toEqual([]);
      // The retry the error invites goes through on a fresh connection.
      expect((await store.recordRiskDecision(decision)).status).toBe('recorded');
    } finally {
      admin.release();
      await store.close();
    }
  });

  it('never writes half a transaction when the server ends the session mid-way', async () => {
    const driver = createPgDriver(pool!, { ownsPool: false, logger: silentLogger });
    const schema = testSchemaName('probe');
    schemas.push(schema);
    await pool!.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".probe (id int)`);
    const error = await caught(
      guarded('probe', () =>
        driver.transaction(async (executor) => {
          await executor.query(`INSERT INTO "${schema}".probe VALUES (1)`);
          await executor.query('SELECT pg_terminate_backend(pg_backend_pid())');
        }),
      ),
    );
    expect(error.code).toBe('storage_unavailable');
    expect((await pool!.query(`SELECT count(*)::int AS count FROM "${schema}".probe`)).rows[0].count).toBe(0);
  });

  it('keeps passwords out of errors and logs', async () => {
    const secret = 'hunter2-very-secret';
    const lines: string[] = [];
    const logger = createJsonLogger({ write: (line) => lines.push(line), level: 'debug' });
    const refused = await caught(createPgStore({ connectionString: `postgres://trader:${secret}@127.0.0.1:1/test`, logger }));
    expect(refused.code).toBe('storage_unavailable');
    const unknownUser = await caught(createPgStore({ connectionString: `postgres://no_such_role_tp:${secret}@127.0.0.1:5432/test`, logger }));
    expect(['storage_failed', 'storage_unavailable']).toContain(unknownUser.code);
    const byParts = await caught(createPgStore({ host: '127.0.0.1', port: 1, database: 'test', user: 'trader', password: secret, logger }));
    for (const error of [refused, unknownUser, byParts]) expect(everythingPrinted(error)).not.toContain(secret);
    expect(lines.join('\n')).not.toContain(secret);
  });

  it('answers ping with storage_unavailable when the server cannot be reached', async () => {
    const unreachable = new pg.Pool({ connectionString: 'postgres://trader@127.0.0.1:1/test', connectionTimeoutMillis: 1_000 });
    const store = await createPgStore({ pool: unreachable, migrate: false });
    expect((await caught(store.ping())).code).toBe('storage_unavailable');
    expect((await caught(store.getLatestCandle('BTC-USD', 'ONE_HOUR'))).retryable).toBe(true);
    await store.close();
    await unreachable.end();
    expect((await caught(store.ping())).code).toBe('storage_unavailable');
    expect((await caught(store.listProducts())).code).toBe('storage_failed');
  });
});
