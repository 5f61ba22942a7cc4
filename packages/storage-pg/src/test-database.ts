import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createManualClock, redactText, type ManualClock, type PipelineStore } from '@tradepipe/core';
import { PGlite } from '@electric-sql/pglite';
import { afterAll } from 'vitest';
import { createPgStore } from './pg-store.js';
import { createPgliteStore } from './pglite-store.js';

/** The test server: `TRADEPIPE_TEST_DATABASE_URL` or the local PostgreSQL's `test` database. @internal */
export const TEST_DATABASE_URL = process.env.TRADEPIPE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Where the conformance suite's manual clocks start: after the fixture candles (2025) have closed. @internal */
export const TEST_START_MS = Date.UTC(2026, 0, 1);

/**
 * Opens a pool to the test server, or `undefined` (with a loud warning) when it is down. Under CI a
 * missing server fails the run instead.
 * @internal
 */
export async function openTestPool(max = 10): Promise<pg.Pool | undefined> {
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max, connectionTimeoutMillis: 3_000 });
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
    return pool;
  } catch (error) {
    await pool.end().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    if (process.env.CI !== undefined) throw new Error(`The PostgreSQL test server is required under CI: ${reason}`);
    // Tests may print; this is the loud skip the package promises.
    console.warn(`\n*** storage-pg: PostgreSQL at ${redactText(TEST_DATABASE_URL)} is unreachable (${reason}); server tests are SKIPPED ***\n`);
    return undefined;
  }
}

/** A fresh schema name for one test file or store. @internal */
export function testSchemaName(label: string): string {
  return `tp_${label}_${process.pid}_${randomBytes(3).toString('hex')}`.toLowerCase().slice(0, 47);
}

/** Drops a test schema and everything in it. @internal */
export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Stores of one test file on the server, each in its own schema, dropped on close. @internal */
export function pgStoreFactory(pool: pg.Pool, label: string, options: { manualClock: boolean }) {
  const schemas = new Map<PipelineStore, string>();
  const clocks = new Map<PipelineStore, ManualClock>();
  return {
    /** The SQL stores hand items on whenever they can (see the conformance harness's `handsOn`). */
    handsOn: true,
    async createStore(): Promise<PipelineStore> {
      const schema = testSchemaName(label);
      const clock = options.manualClock ? createManualClock(TEST_START_MS) : undefined;
      const store = await createPgStore({ pool, schema, ...(clock === undefined ? {} : { clock }) });
      schemas.set(store, schema);
      if (clock !== undefined) clocks.set(store, clock);
      return store;
    },
    async advanceTimeMs(store: PipelineStore, durationMs: number): Promise<void> {
      const clock = clocks.get(store);
      if (clock !== undefined) clock.advance(durationMs);
      else await new Promise((resolve) => setTimeout(resolve, durationMs));
    },
    /** The schema a store of this factory lives in (for SQL of other connections beside the store). */
    schemaOf(store: PipelineStore): string {
      const schema = schemas.get(store);
      if (schema === undefined) throw new Error('not a store of this factory');
      return schema;
    },
    async closeStore(store: PipelineStore): Promise<void> {
      await store.close();
      const schema = schemas.get(store);
      if (schema !== undefined) await dropSchema(pool, schema);
    },
  };
}

/** Stores of one test file on one shared in-memory PGlite (creating one costs seconds), one schema each. @internal */
export function pgliteStoreFactory(label: string) {
  let database: Promise<PGlite> | undefined;
  let count = 0;
  const clocks = new Map<PipelineStore, ManualClock>();
  return {
    /** The SQL stores hand items on whenever they can (see the conformance harness's `handsOn`). */
    handsOn: true,
    async createStore(): Promise<PipelineStore> {
      database ??= PGlite.create();
      const clock = createManualClock(TEST_START_MS);
      count += 1;
      const store = await createPgliteStore({ database: await database, schema: `${label}_${count}`, clock });
      clocks.set(store, clock);
      return store;
    },
    async advanceTimeMs(store: PipelineStore, durationMs: number): Promise<void> {
      clocks.get(store)?.advance(durationMs);
    },
    /** Closes the shared PGlite instance. */
    async closeDatabase(): Promise<void> {
      if (database !== undefined) await (await database).close();
    },
    database: async (): Promise<PGlite> => (database ??= PGlite.create()),
  };
}

/**
 * Opens stores from `factory` for one describe block and closes every one after it (call it inside the block).
 * @internal
 */
export function storeOpener(factory: { createStore(): Promise<PipelineStore>; closeStore?(store: PipelineStore): Promise<void> }): () => Promise<PipelineStore> {
  const stores: PipelineStore[] = [];
  afterAll(async () => {
    for (const store of stores) await (factory.closeStore?.(store) ?? store.close());
  });
  return async () => {
    const store = await factory.createStore();
    stores.push(store);
    return store;
  };
}
