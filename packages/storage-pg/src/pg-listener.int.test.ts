import { randomBytes } from 'node:crypto';
import { silentLogger } from '@tradepipe/core';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgDriver } from './pg-driver.js';
import { TEST_DATABASE_URL, openTestPool } from './test-database.js';

// The driver's LISTEN connection on a real server: closing the driver while the listener reconnects must leave
// no connection behind, and a channel nobody listens to any more is UNLISTENed (its connection ended when no
// channel is left).

const admin = await openTestPool(2);
afterAll(async () => admin?.end());

/** Waits for a condition, polling, within a budget that holds on a busy machine. */
async function until(condition: () => boolean | Promise<boolean>, what: string, budgetMs = 30_000): Promise<void> {
  const deadlineMs = Date.now() + budgetMs;
  while (!(await condition())) {
    if (Date.now() > deadlineMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function sessions(applicationName: string): Promise<{ pid: number; query: string }[]> {
  const { rows } = await admin!.query<{ pid: number; query: string }>('SELECT pid, query FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
  return rows;
}

/** Ends a pool; a connection still checked out (a leak) would keep `end()` waiting: give up after a budget. */
async function endPool(pool: pg.Pool): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const leaked = new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000)));
  await Promise.race([pool.end(), leaked]);
  clearTimeout(timer);
}

function poolFor(applicationName: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max, application_name: applicationName });
  pool.on('error', () => undefined);
  return pool;
}

describe.runIf(admin !== undefined)('pg driver LISTEN connection (PostgreSQL server)', () => {
  it('closed while the listener reconnects: the connection it was waiting for is released, not kept', async () => {
    const name = `tp_listen_${randomBytes(3).toString('hex')}`;
    const pool = poolFor(name, 2);
    const held: pg.PoolClient[] = [];
    try {
      const driver = createPgDriver(pool, { ownsPool: false, logger: silentLogger });
      await driver.listen(`${name}_work`, () => undefined);
      const [listening] = await sessions(name);
      expect(listening?.query).toMatch(/^LISTEN/);
      // Fill the pool, then end the listener's session: its reconnect (after 1 s) waits for a free connection.
      await admin!.query('SELECT pg_terminate_backend($1::int, 10000)', [listening!.pid]);
      await until(() => pool.totalCount === 0, 'the ended listener to leave the pool');
      held.push(await pool.connect(), await pool.connect());
      await until(() => pool.waitingCount === 1, 'the listener reconnect to wait for a connection');
      await driver.close();
      held.shift()!.release();
      await until(() => pool.waitingCount === 0, 'the reconnect to get its connection');
      await until(() => pool.totalCount === 1, 'the reconnect connection to be released (only the test holds one)', 10_000);
      expect((await sessions(name)).some((session) => session.query.startsWith('LISTEN'))).toBe(false);
    } finally {
      for (const client of held.splice(0)) client.release();
      await endPool(pool);
    }
  });

  it('UNLISTENs a channel whose last subscriber left, and ends the connection when no channel is left', async () => {
    const name = `tp_unlisten_${randomBytes(3).toString('hex')}`;
    const pool = poolFor(name, 4);
    let driver: ReturnType<typeof createPgDriver> | undefined;
    try {
      driver = createPgDriver(pool, { ownsPool: false, logger: silentLogger });
      const heard: string[] = [];
      const stopA = await driver.listen(`${name}_a`, (payload) => heard.push(`a:${payload}`));
      const stopB = await driver.listen(`${name}_b`, (payload) => heard.push(`b:${payload}`));
      await stopA();
      await until(async () => (await sessions(name)).some((session) => session.query === `UNLISTEN "${name}_a"`), 'UNLISTEN of channel a');
      await admin!.query(`SELECT pg_notify($1, 'x'), pg_notify($2, 'y')`, [`${name}_a`, `${name}_b`]);
      await until(() => heard.length > 0, 'the notification on channel b');
      expect(heard).toEqual(['b:y']);
      await stopB();
      await until(async () => (await sessions(name)).length === 0, 'the listening connection to end');
      expect(pool.totalCount).toBe(0);
    } finally {
      await driver?.close();
      await endPool(pool);
    }
  });
});
