// The image's operator commands (`node dist/main.js kill-switch …`) as an operator runs them: the built program as a
// child process against the real PostgreSQL at 127.0.0.1:5432 (database `test`). A mistyped STORE_SCHEMA used to
// create and migrate a schema of that name and engage a kill switch there that no service reads, exiting 0.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '@tradepipe/storage-pg';
import { TEST_DATABASE, postgresAvailable } from './e2e-database.js';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const schema = `operator_${process.pid}_${Date.now() % 1_000_000}`;
const typo = `${schema}_typo`;
const available = await postgresAvailable();

function operator(args: readonly string[], storeSchema: string): Promise<{ status: number | null; stdout: string }> {
  const env = { PATH: process.env.PATH ?? '', DB_HOST: TEST_DATABASE.host, DB_PORT: String(TEST_DATABASE.port), DB_NAME: TEST_DATABASE.database, DB_USER: TEST_DATABASE.user, STORE_SCHEMA: storeSchema };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [main, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout }));
  });
}

async function withPool<T>(work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ ...TEST_DATABASE, max: 1 });
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}

const schemataLike = (prefix: string): Promise<string[]> =>
  withPool(async (pool) => (await pool.query<{ name: string }>(`SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE $1`, [`${prefix}%`])).rows.map((row) => row.name));

describe.runIf(available)('the operator commands of the services program (the built main.js, PostgreSQL)', () => {
  afterAll(async () => {
    await withPool(async (pool) => {
      for (const name of [schema, typo]) await pool.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    });
  });

  it('refuses a STORE_SCHEMA without tradepipe tables, creating nothing; acts on a migrated one, keeping the reasons', async () => {
    const refused = await operator(['kill-switch', 'engage', '--mode', 'freeze', '--reason', 'incident'], typo);
    expect(refused.status).toBe(1);
    const failure = refused.stdout.split('\n').filter((line) => line.includes('operator command failed')).map((line) => JSON.parse(line) as { code: string; error: { message: string } })[0];
    expect(failure?.code).toBe('not_found');
    expect(failure?.error.message).toContain(`tradepipe migrate --schema ${typo}`);
    expect(await schemataLike(typo)).toEqual([]);

    await withPool((pool) => migrate(pool, { schema }));
    const engaged = await operator(['kill-switch', 'engage', '--mode', 'freeze', '--reason', 'incident'], schema);
    expect(engaged.status).toBe(0);
    const released = await operator(['kill-switch', 'release', '--reason', 'all good now'], schema);
    expect(released.status).toBe(0);
    const state = JSON.parse(released.stdout.split('\n').find((line) => line.startsWith('{"killSwitch"')) ?? 'null') as { killSwitch: unknown };
    expect(state.killSwitch).toMatchObject({ engaged: false, mode: 'freeze', reason: 'all good now' });
    // The held orders' commands reach the operator code too (they used to be taken for a service name).
    const held = await operator(['orders', 'held'], schema);
    expect(held.status).toBe(0);
    expect(held.stdout.split('\n').find((line) => line.startsWith('{"orders"'))).toBe('{"orders":[]}');
  }, 120_000);
});
