import { isTradepipeError, silentLogger, type TradepipeError } from '@tradepipe/core';
import { testApproval, testAssessment, testCandle, testRecommendation } from '@tradepipe/core/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { guarded } from './db-errors.js';
import { createPgDriver } from './pg-driver.js';
import { createPgStore } from './pg-store.js';
import { TEST_DATABASE_URL, dropSchema, openTestPool, testSchemaName } from './test-database.js';

// A connection the server ends while a store transaction holds it (a restart, a failover, an operator's
// pg_terminate_backend) must surface as a retryable storage_unavailable and leave the process and the store
// working. Before the fix, a checked-out client had no 'error' listener: the process died with
// "Unhandled 'error' event" whenever the server ended the session between two statements of a transaction.

const ROUNDS = 20;
const admin = await openTestPool(4);

async function caught(promise: Promise<unknown>): Promise<TradepipeError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!isTradepipeError(error)) throw new Error(`expected a TradepipeError, got ${String(error)}`);
  return error;
}

/** Ends a server session and waits (on the server, up to 10 s) until its backend has exited. */
async function terminate(pid: number): Promise<void> {
  await admin!.query('SELECT pg_terminate_backend($1::int, 10000)', [pid]);
}

/** Waits until a session of `applicationName` waits on a lock, then ends it. */
async function terminateWhenWaiting(applicationName: string): Promise<void> {
  const deadlineMs = Date.now() + 60_000;
  while (Date.now() < deadlineMs) {
    const { rows } = await admin!.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
      [applicationName],
    );
    if (rows[0] !== undefined) return terminate(rows[0].pid);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the store transaction never waited on the lock');
}

function riskDecision(index: number, nowMs: number) {
  const recommendation = testRecommendation({ id: `rec-connection-loss-${index}` });
  const { approval, reservation } = testApproval(recommendation, { issuedAtMs: nowMs, ttlMs: 600_000 });
  return { recommendation, decision: { assessment: testAssessment(recommendation), approval, reservation } };
}

describe.runIf(admin !== undefined)('a connection lost inside a store transaction (PostgreSQL server)', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    if (admin === undefined) return;
    for (const schema of schemas) await dropSchema(admin, schema);
    await admin.end();
  });

  it(`survives the server ending the session between two statements, ${ROUNDS} times`, async () => {
    const schema = testSchemaName('idle_tx');
    schemas.push(schema);
    await admin!.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".probe (id int)`);
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    const driver = createPgDriver(pool, { ownsPool: true, logger: silentLogger });
    try {
      for (let round = 0; round < ROUNDS; round += 1) {
        const error = await caught(
          guarded('probe', () =>
            driver.transaction(async (executor) => {
              const [row] = await executor.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
              await executor.query(`INSERT INTO "${schema}".probe VALUES ($1)`, [round]);
              // The session is idle in its transaction: no query of ours is active when the server ends it.
              await terminate(row!.pid);
              await executor.query(`INSERT INTO "${schema}".probe VALUES ($1)`, [round]);
            }),
          ),
        );
        expect(error.code).toBe('storage_unavailable');
        expect(error.retryable).toBe(true);
        // Nothing of the lost transaction was written, and the driver works on a fresh connection.
        await driver.transaction((executor) => executor.query(`INSERT INTO "${schema}".probe VALUES (-1)`));
        const { rows } = await admin!.query(`SELECT count(*)::int AS count, count(*) FILTER (WHERE id >= 0)::int AS lost FROM "${schema}".probe`);
        expect(rows[0]).toEqual({ count: round + 1, lost: 0 });
      }
      // The broken connections were discarded, not returned to the pool.
      expect(pool.totalCount).toBeLessThanOrEqual(2);
    } finally {
      await driver.close();
    }
  });

  it(`answers storage_unavailable and keeps working when the session waiting on a lock is ended, ${ROUNDS} times`, async () => {
    const schema = testSchemaName('lock_tx');
    schemas.push(schema);
    const applicationName = `tp_lock_tx_${process.pid}`;
    const store = await createPgStore({ connectionString: TEST_DATABASE_URL, schema, applicationName, poolSize: 2 });
    const holder = await admin!.connect();
    try {
      for (let round = 0; round < ROUNDS; round += 1) {
        const { recommendation, decision } = riskDecision(round, await store.nowMs());
        await holder.query('BEGIN');
        await holder.query(`SELECT 1 FROM "${schema}".risk_state WHERE id = 1 FOR UPDATE`);
        const pending = caught(store.recordRiskDecision(decision));
        await terminateWhenWaiting(applicationName);
        const error = await pending;
        await holder.query('ROLLBACK');
        expect(error).toMatchObject({ code: 'storage_unavailable', retryable: true, details: { operation: 'recordRiskDecision' } });
        expect(await store.getRiskAssessment(recommendation.id)).toBeUndefined();
        expect((await store.recordRiskDecision(decision)).status).toBe('recorded');
      }
      expect(await store.listActiveReservations()).toHaveLength(ROUNDS);
    } finally {
      holder.release();
      await store.close();
    }
  });

  it(`lives through ${ROUNDS} rounds of every session ended while stores write concurrently`, async () => {
    const schema = testSchemaName('storm');
    schemas.push(schema);
    const applicationName = `tp_storm_${process.pid}`;
    const store = await createPgStore({ connectionString: TEST_DATABASE_URL, schema, applicationName, poolSize: 4 });
    const failures: TradepipeError[] = [];
    let stopped = false;
    let next = 0;
    const writer = async (): Promise<void> => {
      while (!stopped) {
        const index = (next += 1);
        const candles = Array.from({ length: 5 }, (_, offset) => testCandle({ index: index * 5 + offset }));
        const { decision } = riskDecision(1_000 + index, await store.nowMs().catch(() => Date.now()));
        const outcomes = await Promise.allSettled([store.putCandles(candles), store.recordRiskDecision(decision)]);
        for (const outcome of outcomes) {
          if (outcome.status === 'fulfilled') continue;
          if (!isTradepipeError(outcome.reason)) throw outcome.reason;
          failures.push(outcome.reason);
        }
      }
    };
    const writers = [writer(), writer(), writer()];
    try {
      for (let round = 0; round < ROUNDS; round += 1) {
        let sessions: { pid: number }[] = [];
        while (sessions.length === 0) {
          sessions = (await admin!.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [applicationName])).rows;
        }
        await Promise.all(sessions.map((session) => terminate(session.pid)));
      }
    } finally {
      stopped = true;
      await Promise.all(writers);
    }
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) expect(failure).toMatchObject({ code: 'storage_unavailable', retryable: true });
    // The same store goes on working once the server stops ending its sessions.
    const { recommendation, decision } = riskDecision(0, await store.nowMs());
    expect((await store.recordRiskDecision(decision)).status).toBe('recorded');
    expect(await store.getRiskAssessment(recommendation.id)).toBeDefined();
    await store.close();
  });
});
