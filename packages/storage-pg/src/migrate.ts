import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { TradepipeError, childLogger, silentLogger, type Logger } from '@tradepipe/core';
import { guarded } from './db-errors.js';
import { MIGRATIONS } from './migrations-sql.js';
import { createPgDriver } from './pg-driver.js';
import { createPgliteDriver } from './pglite-driver.js';
import type { SqlDriver } from './sql-driver.js';

/** Schema names the store accepts: lower-case identifiers, short enough for the notification channel. */
export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,46}$/;

/** The schema used when none is given. */
export const DEFAULT_SCHEMA = 'tradepipe';

/** What {@link migrate} did. */
export interface MigrationResult {
  /** Versions applied by this call, oldest first (empty when the schema was current). */
  readonly applied: readonly number[];
  /** The schema's version afterwards. */
  readonly version: number;
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** PostgreSQL schema holding the tables (default `tradepipe`); created if missing. */
  readonly schema?: string;
  /** Where each migration applied is logged, at info (default silent). */
  readonly logger?: Logger;
  /**
   * How long a migration statement may wait for any one lock (a table's or a row's), in ms, once the migration
   * lock is held (default {@link DEFAULT_MIGRATION_LOCK_TIMEOUT_MS}; 0 waits for ever, as PostgreSQL's
   * `lock_timeout` does). A migration that alters a table queues behind every transaction using it, and every
   * later query on that table queues behind the migration: past this wait the migration gives up
   * (`storage_unavailable`, SQLSTATE 55P03, retryable; nothing applied) instead of stalling the running replicas.
   */
  readonly lockTimeoutMs?: number;
}

/** The default of {@link MigrateOptions.lockTimeoutMs}: 10 s. */
export const DEFAULT_MIGRATION_LOCK_TIMEOUT_MS = 10_000;

/** PostgreSQL's largest `lock_timeout`, in ms. */
const MAX_LOCK_TIMEOUT_MS = 2_147_483_647;

/** Checks a schema name and returns it quoted for SQL. @internal */
export function quoteSchema(schema: string): string {
  if (!SCHEMA_NAME_PATTERN.test(schema)) {
    throw new TradepipeError('config_invalid', 'The schema name must be a lower-case identifier of at most 47 characters', {
      details: { schemaLength: schema.length },
    });
  }
  return `"${schema}"`;
}

/**
 * Applies the pending migrations on a driver, one transaction under an advisory lock so that concurrent
 * starters apply each migration once and the losers wait and find the schema current. Once it holds that lock,
 * a statement waits at most `lockTimeoutMs` for any one lock (see {@link MigrateOptions.lockTimeoutMs}).
 * @internal
 */
export async function runMigrations(
  driver: SqlDriver,
  schema: string,
  logger: Logger = silentLogger,
  lockTimeoutMs: number = DEFAULT_MIGRATION_LOCK_TIMEOUT_MS,
  options: { readonly existingOnly?: boolean } = {},
): Promise<MigrationResult> {
  const quoted = quoteSchema(schema);
  if (!Number.isSafeInteger(lockTimeoutMs) || lockTimeoutMs < 0 || lockTimeoutMs > MAX_LOCK_TIMEOUT_MS) {
    throw new TradepipeError('config_invalid', 'The migration lock timeout must be a whole number of ms from 0 to 2147483647', { details: { lockTimeoutMs } });
  }
  return guarded('migrate', () =>
    driver.transaction(async (executor) => {
      await executor.query(`SELECT pg_advisory_xact_lock(hashtext($1)::bigint)`, [`tradepipe.migrate.${schema}`]);
      // After the advisory lock (a starter waits for another's migration as long as it takes), before any table lock.
      await executor.query(`SET LOCAL lock_timeout = ${lockTimeoutMs}`);
      if (options.existingOnly === true) await requireStoreTables(executor, schema);
      await executor.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
      await executor.query(
        `CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const rows = await executor.query<{ version: number }>(`SELECT version FROM ${quoted}.schema_migrations`);
      const done = new Set(rows.map((row) => Number(row.version)));
      const applied: number[] = [];
      for (const migration of MIGRATIONS) {
        if (done.has(migration.version)) continue;
        await executor.exec(migration.sql.replaceAll('__SCHEMA__', quoted));
        await executor.query(`INSERT INTO ${quoted}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
        applied.push(migration.version);
        logger.info('storage migration applied', { schema, version: migration.version, name: migration.name });
      }
      const newest = Math.max(0, ...MIGRATIONS.map((migration) => migration.version));
      const known = Math.max(0, ...done);
      if (known > newest) {
        throw new TradepipeError('storage_failed', 'The database schema is newer than this version of the store', {
          details: { schema, databaseVersion: known, storeVersion: newest },
        });
      }
      return { applied, version: Math.max(newest, known) };
    }),
  );
}

/**
 * Throws unless `schema` holds the store's migration table: a schema never migrated (a typo, another
 * environment's name) is refused instead of created. @internal
 * @throws TradepipeError `not_found` naming the schema
 */
export async function requireStoreTables(executor: Pick<SqlDriver, 'query'>, schema: string): Promise<void> {
  const rows = await executor.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = 'schema_migrations') AS found`,
    [schema],
  );
  if (rows[0]?.found !== true) {
    throw new TradepipeError('not_found', `Schema ${schema} holds no tradepipe tables (not migrated; a typo?)`, { details: { schema } });
  }
}

/**
 * Creates or upgrades the store's tables in a schema. Safe to call from many starters at once (an advisory
 * lock serialises them); the stores call it on creation unless told not to.
 * @param database a `pg.Pool` or a PGlite instance (neither is closed)
 * @returns the versions applied and the schema's version
 * @throws TradepipeError `config_invalid` (bad schema name or lock timeout), `storage_unavailable` (connection, lock wait past `lockTimeoutMs`), `storage_failed`
 * @example
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool, { schema: 'tradepipe' });
 */
export async function migrate(database: pg.Pool | PGlite, options: MigrateOptions = {}): Promise<MigrationResult> {
  const logger = childLogger(options.logger ?? silentLogger, {}); // redacts before a user's own sink
  const driver = isPglite(database) ? createPgliteDriver(database, { ownsDatabase: false }) : createPgDriver(database, { ownsPool: false, logger });
  try {
    return await runMigrations(driver, options.schema ?? DEFAULT_SCHEMA, logger, options.lockTimeoutMs);
  } finally {
    await driver.close();
  }
}

/** Whether a database handle is a PGlite instance rather than a `pg.Pool`. @internal */
export function isPglite(database: pg.Pool | PGlite): database is PGlite {
  return typeof (database as { waitReady?: unknown }).waitReady !== 'undefined';
}
