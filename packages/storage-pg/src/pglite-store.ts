import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { TradepipeError, childLogger, sanitizeCause, silentLogger, type Clock, type Logger, type PipelineStore } from '@tradepipe/core';
import { toStorageError } from './db-errors.js';
import { DEFAULT_SCHEMA, quoteSchema, runMigrations } from './migrate.js';
import { createPgliteDriver, mayCopyFromFiles } from './pglite-driver.js';
import { growMemoryFilesInLargerSteps } from './pglite-memory.js';
import type { SqlDriver } from './sql-driver.js';
import { SqlStore } from './sql-store.js';

/** Options of {@link createPgliteStore}. */
export interface PgliteStoreOptions {
  /**
   * A directory to keep the database in, created with its parents when missing; in memory when absent (and no
   * `database` is given). PGlite's own prefixes (`file://`, `memory://`, `idb://`, …) pass through as they are.
   */
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
 * The path on this machine's file system of a PGlite `dataDir`: a plain path or a `file://` one; undefined for the
 * in-memory and browser ones (`memory://`, `idb://`, `opfs-ahp://`, …) and the empty string (in memory to PGlite).
 */
function fileSystemPathOf(dataDir: string): string | undefined {
  const path = dataDir.startsWith('file://') ? dataDir.slice('file://'.length) : dataDir;
  return path === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(path) ? undefined : path;
}

/**
 * A failure to open PGlite (`where`: `PGlite in ./.tradepipe/db`, …) as a TradepipeError whose message says why
 * (the cause's redacted message; a path is no secret), with the code {@link toStorageError} gives it. A
 * TradepipeError passes through.
 */
function openError(error: unknown, where: string): TradepipeError {
  const storage = toStorageError(error, 'open PGlite');
  if (storage === error) return storage;
  return new TradepipeError(storage.code, `Could not open ${where}: ${sanitizeCause(error).message}`, { cause: error, details: storage.details });
}

/** Runs a step of opening PGlite, converting any failure with {@link openError}. */
async function opening<T>(where: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw openError(error, where);
  }
}

/** Opens the store's own PGlite instance, in memory or in `dataDir` (created with its parents first). */
async function openOwnPglite(dataDir: string | undefined, where: string): Promise<PGlite> {
  return opening(where, async () => {
    if (dataDir === undefined) return PGlite.create({});
    const path = fileSystemPathOf(dataDir);
    if (path !== undefined) await mkdir(path, { recursive: true });
    return PGlite.create({ dataDir });
  });
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
 * @throws TradepipeError `config_invalid` (schema name), `storage_failed` (the data directory cannot be created or
 * opened; the message says why, e.g. `EACCES: permission denied, mkdir '…'`)
 * @example
 * const store = await createPgliteStore({ dataDir: './.tradepipe/db' });
 * await store.putCandles(candles);
 * await store.close();
 */
export async function createPgliteStore(options: PgliteStoreOptions = {}): Promise<PipelineStore> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const s = quoteSchema(schema);
  const logger = childLogger(options.logger ?? silentLogger, {}); // redacts before a user's own sink
  const where = options.database !== undefined ? "the caller's PGlite instance" : options.dataDir === undefined ? 'PGlite in memory' : `PGlite in ${options.dataDir}`;
  const database = options.database ?? (await openOwnPglite(options.dataDir, where));
  let copyFromFiles: boolean;
  try {
    // A caller's `new PGlite()` may still be starting: its file system is there once it is ready.
    await opening(where, () => database.waitReady);
    copyFromFiles = await opening(where, () => mayCopyFromFiles(database));
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
