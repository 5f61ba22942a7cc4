import pg from 'pg';
import { TradepipeError, parseWith, childLogger, silentLogger, type Clock, type Logger, type PipelineStore } from '@tradepipe/core';
import { guarded } from './db-errors.js';
import { quoteSchema, requireStoreTables, runMigrations } from './migrate.js';
import { PgStoreOptionsSchema, type PgStoreSettings } from './options.js';
import { createPgDriver } from './pg-driver.js';
import { SqlStore } from './sql-store.js';

/** Options of {@link createPgStore}: the plain settings plus a pool, a clock and a logger. */
export type PgStoreOptions = PgStoreSettings & {
    /** Server host (with port, database, user, password), when no connection string or pool is given. */
    readonly host?: string;
    readonly port?: number;
    readonly database?: string;
    readonly user?: string;
    readonly password?: string;
    /** Connect with TLS. */
    readonly ssl?: boolean;
    /** An existing pool (the store does not end it on close). Otherwise the store creates one. */
    readonly pool?: pg.Pool;
    /** Where "now" comes from (leases, expiry); default the database's `clock_timestamp()`. */
    readonly clock?: Clock;
    readonly logger?: Logger;
    /**
     * Create the schema and its tables when the schema holds none (default true). `false` refuses such a schema
     * (`not_found`) and creates nothing: for tools that act on an existing deployment's store, where a
     * mistyped schema must fail rather than open an empty store of its own.
     */
    readonly createSchema?: boolean;
  };

function poolConfig(options: PgStoreOptions, settings: ReturnType<typeof PgStoreOptionsSchema.parse>): pg.PoolConfig {
  const common: pg.PoolConfig = {
    max: settings.poolSize,
    application_name: settings.applicationName,
    connectionTimeoutMillis: 10_000,
    ...(settings.statementTimeoutMs > 0 ? { statement_timeout: settings.statementTimeoutMs } : {}),
    ...(options.ssl === true ? { ssl: true } : {}),
  };
  if (settings.connectionString !== undefined) return { ...common, connectionString: settings.connectionString };
  if (options.host !== undefined) {
    return {
      ...common,
      host: options.host,
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.database === undefined ? {} : { database: options.database }),
      ...(options.user === undefined ? {} : { user: options.user }),
      ...(options.password === undefined ? {} : { password: options.password }),
    };
  }
  throw new TradepipeError('config_invalid', 'Give createPgStore a pool, a connectionString or a host (see pgConnectionFromEnv)');
}

/**
 * Creates the PostgreSQL {@link PipelineStore}: every stage's records and work queues in one schema, so
 * stages can run as separate services or replicas handing work through the database. Applies pending
 * migrations first (unless `migrate: false`).
 * @returns a store named `postgres`; `close()` ends the pool if the store created it
 * @throws TradepipeError `config_invalid` (options), `storage_unavailable` (server unreachable), `storage_failed`,
 * `not_found` (a schema without the store's tables, with `createSchema: false`)
 * @example
 * const store = await createPgStore({ connectionString: 'postgres://app@127.0.0.1:5432/trading', schema: 'tradepipe' });
 * await store.putCandles(candles);
 * await store.close();
 */
export async function createPgStore(options: PgStoreOptions = {}): Promise<PipelineStore> {
  const settings = parseStoreSettings(options);
  const logger = childLogger(options.logger ?? silentLogger, {}); // redacts before a user's own sink
  const pool = options.pool ?? new pg.Pool(poolConfig(options, settings));
  const driver = createPgDriver(pool, { ownsPool: options.pool === undefined, logger });
  try {
    const existingOnly = options.createSchema === false;
    if (settings.migrate) await runMigrations(driver, settings.schema, logger, undefined, { existingOnly });
    else if (existingOnly) await guarded('open', () => requireStoreTables(driver, settings.schema));
  } catch (error) {
    await driver.close().catch(() => undefined);
    throw error;
  }
  return new SqlStore({ driver, schema: settings.schema, s: quoteSchema(settings.schema), clock: options.clock, logger });
}

function parseStoreSettings(options: PgStoreOptions): ReturnType<typeof PgStoreOptionsSchema.parse> {
  try {
    return parseWith(
      PgStoreOptionsSchema,
      {
        connectionString: options.connectionString,
        schema: options.schema,
        poolSize: options.poolSize,
        migrate: options.migrate,
        statementTimeoutMs: options.statementTimeoutMs,
        applicationName: options.applicationName,
      },
      'storage options',
    );
  } catch (error) {
    throw new TradepipeError('config_invalid', error instanceof Error ? error.message : 'Invalid storage options', { cause: error });
  }
}
