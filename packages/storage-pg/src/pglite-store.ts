import { PGlite } from '@electric-sql/pglite';
import { childLogger, silentLogger, type Clock, type Logger, type PipelineStore } from '@tradepipe/core';
import { guarded } from './db-errors.js';
import { DEFAULT_SCHEMA, quoteSchema, runMigrations } from './migrate.js';
import { createPgliteDriver, mayCopyFromFiles } from './pglite-driver.js';
import { growMemoryFilesInLargerSteps } from './pglite-memory.js';
import type { SqlDriver } from './sql-driver.js';
import { SqlStore } from './sql-store.js';

/** Options of {@link createPgliteStore}. */
export interface PgliteStoreOptions {
  /** A directory to keep the database in; in memory when absent (and no `database` is given). */
  readonly dataDir?: string;
  /**
   * An existing PGlite instance to use (the store does not close it); e.g. one shared by several stores in tests, or
   * one the caller persists. Its tables stay logged (crash-safe in a data directory); its in-memory files are made to
   * grow in larger steps, as the store's own instance's are.
   */
  readonly database?: PGlite;
  /** Schema holding the tables (default `tradepipe`). */
  readonly schema?: string;
  /** Where "now" comes from (leases, expiry); default the database's `clock_timestamp()` (in process: this process's clock). */
  readonly clock?: Clock;
  /** Where migrations applied and work-notification failures are logged (default silent). */
  readonly logger?: Logger;
  /** Apply pending migrations when the store is created (default true). */
  readonly migrate?: boolean;
}

/** The tables a replay fills (candles, signals, recommendations): most of what a store in memory writes. */
const BULK_TABLES = ['crypto_prices', 'trading_signals', 'trade_recommendations'];

/**
 * In memory, nothing outlives the process, so the write-ahead log protects nothing (it serves crash recovery
 * of a data directory, and replication; a rollback does not read it): the bulk tables are made UNLOGGED,
 * which spares writing each row twice (about a fifth of a bulk write's time). Only for an instance this
 * store created in memory, right after its migrations (the tables are still empty).
 */
async function skipWal(driver: SqlDriver, s: string): Promise<void> {
  await driver.exec(BULK_TABLES.map((table) => `ALTER TABLE ${s}.${table} SET UNLOGGED;`).join('\n'));
}

/**
 * Creates the embedded {@link PipelineStore} on PGlite (PostgreSQL in WebAssembly, in process): the same
 * schema, SQL and guarantees as the server store, in memory or in a data directory. One session, so it
 * suits one process; use {@link createPgStore} for several services or replicas.
 * Creating an in-memory instance takes 1.5–3 s (initdb); share one through `database` where that matters.
 * In memory (no `dataDir`, no `database`), the candle, signal and recommendation tables are UNLOGGED: no
 * write-ahead log, as nothing survives the process anyway. On every instance, a caller's too, the in-memory files
 * grow in steps of up to 64 MB, in place, instead of being copied whole at each extension (a bulk write of a year
 * of minutes on a caller's in-memory instance took 15× the time without it).
 * @returns a store named `pglite`; `close()` closes the PGlite instance if the store created it
 * @throws TradepipeError `config_invalid` (schema name), `storage_failed` (the data directory cannot be opened)
 * @example
 * const store = await createPgliteStore({ dataDir: './data/tradepipe' });
 * await store.putCandles(candles);
 * await store.close();
 */
export async function createPgliteStore(options: PgliteStoreOptions = {}): Promise<PipelineStore> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const s = quoteSchema(schema);
  const logger = childLogger(options.logger ?? silentLogger, {}); // redacts before a user's own sink
  const database = options.database ?? (await guarded('open PGlite', () => PGlite.create(options.dataDir === undefined ? {} : { dataDir: options.dataDir })));
  let copyFromFiles: boolean;
  try {
    // A caller's `new PGlite()` may still be starting: its file system is there once it is ready.
    await guarded('open PGlite', () => database.waitReady);
    copyFromFiles = await guarded('open PGlite', () => mayCopyFromFiles(database));
    growMemoryFilesInLargerSteps(database); // every instance, a caller's too: only how in-memory files grow changes
  } catch (error) {
    if (options.database === undefined) await database.close().catch(() => undefined);
    throw error;
  }
  const driver = createPgliteDriver(database, { ownsDatabase: options.database === undefined, copyFromFiles });
  try {
    if (options.migrate !== false) await runMigrations(driver, schema, logger);
    if (options.dataDir === undefined && options.database === undefined && options.migrate !== false) await skipWal(driver, s);
  } catch (error) {
    await driver.close().catch(() => undefined);
    throw error;
  }
  return new SqlStore({ driver, schema, s, clock: options.clock, logger });
}
