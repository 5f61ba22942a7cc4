import { createHash } from 'node:crypto';
import pg from 'pg';
import { TradepipeError, type Logger } from '@tradepipe/core';
import { isTransientDatabaseError } from './db-errors.js';
import { copyFromChunks } from './pg-copy.js';
import type { SqlDriver, SqlExecutor, SqlRow } from './sql-driver.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const keepText = (value: string): string => value;

// Per-query type parsers: int8 and numeric stay text (parsed by the store exactly as with PGlite), without
// touching pg's global type registry that the application may rely on.
const QUERY_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === INT8_OID || oid === NUMERIC_OID) return keepText;
    return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
  },
};

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** Statements get a name (so each connection parses and plans them once) up to this many distinct texts. */
const MAX_NAMED_STATEMENTS = 2_000;
const statementNames = new Map<string, string>();

// The name of a statement's prepared form: derived from its text, so equal texts share it and others never clash.
function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `tradepipe_${createHash('sha256').update(text).digest('base64url').slice(0, 32)}`;
    statementNames.set(text, name);
  }
  return name;
}

async function run<Row extends SqlRow>(target: Queryable, text: string, params: readonly unknown[] = [], onRoundTrip?: () => void): Promise<Row[]> {
  onRoundTrip?.();
  const name = statementName(text);
  const result = await target.query({ text, values: params as unknown[], types: QUERY_TYPES, ...(name === undefined ? {} : { name }) } as pg.QueryConfig);
  return result.rows as Row[];
}

/** Options of {@link createPgDriver}. @internal */
export interface PgDriverOptions {
  readonly ownsPool: boolean;
  readonly logger: Logger;
  /** Benchmarks and tests only: called once per request sent to the server and waited for (a round trip). */
  readonly onRoundTrip?: () => void;
}

/**
 * Runs `work` between BEGIN and COMMIT on a checked-out client. The client listens for `'error'` while it is
 * checked out: a server that ends the session between two statements (restart, failover,
 * `pg_terminate_backend`) makes the next statement fail, never the process. A client whose connection failed
 * is destroyed (`release(error)`), never returned to the pool; the server rolls back what it had open.
 */
async function runTransaction<T>(client: pg.PoolClient, work: () => Promise<T>, logger: Logger, onRoundTrip?: () => void): Promise<T> {
  let lost: Error | undefined;
  const onError = (error: Error): void => {
    if (lost === undefined) logger.warn('storage connection lost in a transaction', { error });
    lost ??= error;
  };
  client.on('error', onError);
  let failure: unknown;
  try {
    onRoundTrip?.();
    await client.query('BEGIN');
    const result = await work();
    onRoundTrip?.();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    failure = error;
    if (lost === undefined && !isTransientDatabaseError(error)) {
      onRoundTrip?.();
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        lost ??= rollbackError instanceof Error ? rollbackError : new Error('ROLLBACK failed');
      });
    }
    throw error;
  } finally {
    const broken = lost ?? (failure !== undefined && isTransientDatabaseError(failure) ? toError(failure) : undefined);
    // A destroyed client keeps the listener: its socket may still report the end of the connection.
    if (broken === undefined) client.off('error', onError);
    client.release(broken);
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error('storage connection failed');
}

const poolsListenedTo = new WeakSet<pg.Pool>();
const clientsListenedTo = new WeakSet<pg.PoolClient>();

/**
 * Gives a pool, and every client it hands out, an `'error'` listener for their whole life. pg emits
 * `'error'` on a client whenever its connection ends without a query of its own running, including in the
 * moment between the pool handing a client over and the borrower's first statement (pg-pool removes its own
 * idle listener then); without a listener that event is an uncaught exception.
 */
function listenToPool(pool: pg.Pool, logger: Logger): void {
  if (poolsListenedTo.has(pool)) return;
  poolsListenedTo.add(pool);
  pool.on('error', (error) => logger.warn('storage idle connection failed', { error }));
  pool.on('acquire', (client) => {
    if (clientsListenedTo.has(client)) return;
    clientsListenedTo.add(client);
    client.on('error', (error) => logger.debug('storage connection failed', { error }));
  });
}

/**
 * A {@link SqlDriver} over a `pg.Pool`. Transactions hold one pooled connection; a connection that failed
 * mid-transaction is destroyed, never returned to the pool. LISTEN runs on one dedicated connection,
 * reconnected after a loss; a channel whose last subscriber left is UNLISTENed, and the connection ends when no
 * channel is left; `close()` during a reconnect lets the connection it was waiting for go. Every
 * connection the driver holds, and the pool itself, has an `'error'` listener: a lost connection fails an
 * operation (`storage_unavailable` once the store converts it), never the process.
 * @internal
 */
export function createPgDriver(pool: pg.Pool, options: PgDriverOptions): SqlDriver {
  const { onRoundTrip } = options;
  const executors = new WeakMap<SqlExecutor, pg.PoolClient>();
  let listener: pg.PoolClient | undefined;
  let listenerReady: Promise<pg.PoolClient> | undefined;
  let discardListener: (() => void) | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  const handlers = new Map<string, Set<(payload: string) => void>>();
  let closed = false;

  const connectListener = async (): Promise<pg.PoolClient> => {
    const client = await pool.connect();
    let discarded = false;
    const discard = (): void => {
      if (discarded) return;
      discarded = true;
      client.release(true);
    };
    client.on('notification', (message) => {
      for (const handler of handlers.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    // Stays attached after the client is discarded: its socket may report the end of the connection again.
    client.on('error', (error) => {
      if (discarded) return;
      options.logger.warn('storage listener connection failed', { error });
      discard();
      if (listener !== client) return;
      listener = undefined;
      listenerReady = undefined;
      scheduleReconnect();
    });
    try {
      for (const channel of handlers.keys()) {
        if (closed) break;
        await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      }
    } catch (error) {
      discard();
      throw error;
    }
    // Closed (or left without a channel) while connecting: the connection is let go, never kept listening.
    if (closed || handlers.size === 0) {
      discard();
      throw new TradepipeError('storage_unavailable', 'The store closed while its listener connected');
    }
    listener = client;
    discardListener = discard;
    return client;
  };
  // Reconnects the listener so waiting workers keep being woken; until then they wake on their timeouts.
  const scheduleReconnect = (): void => {
    if (closed) return;
    clearTimeout(reconnectTimer);
    const retry = setTimeout(() => {
      reconnectTimer = undefined;
      if (closed || listenerReady !== undefined || handlers.size === 0) return;
      listenerReady = connectListener();
      listenerReady.catch((error: unknown) => {
        listenerReady = undefined;
        if (closed || handlers.size === 0) return;
        options.logger.warn('storage listener reconnect failed', { error });
        scheduleReconnect();
      });
    }, 1_000);
    retry.unref();
    reconnectTimer = retry;
  };
  // The last subscriber of a channel left: UNLISTEN it; with no channel left, the listening connection ends.
  const unlisten = async (channel: string): Promise<void> => {
    const client = listener;
    if (client === undefined) return;
    if (handlers.size === 0) {
      listener = undefined;
      listenerReady = undefined;
      discardListener?.();
      discardListener = undefined;
      return;
    }
    try {
      await client.query(`UNLISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      options.logger.warn('storage could not UNLISTEN a channel', { channel, error });
    }
  };
  // On a pool it was given too: a pool or client without a listener crashes the process when the server goes.
  listenToPool(pool, options.logger);

  return {
    name: 'postgres',
    query: (text, params) => run(pool, text, params, onRoundTrip),
    exec: async (script) => {
      await pool.query(script);
    },
    async transaction(work) {
      const client = await pool.connect();
      const executor: SqlExecutor = {
        query: (text, params) => run(client, text, params, onRoundTrip),
        exec: async (script) => {
          await client.query(script);
        },
      };
      executors.set(executor, client);
      return runTransaction(client, () => work(executor), options.logger, onRoundTrip);
    },
    async listen(channel, onNotification) {
      let set = handlers.get(channel);
      const isNew = set === undefined;
      if (set === undefined) {
        set = new Set();
        handlers.set(channel, set);
      }
      set.add(onNotification);
      const unsubscribe = async (): Promise<void> => {
        if (!set.delete(onNotification) || set.size > 0 || handlers.get(channel) !== set) return;
        handlers.delete(channel);
        if (!closed) await unlisten(channel);
      };
      try {
        if (listenerReady === undefined) {
          listenerReady = connectListener();
          await listenerReady;
        } else {
          const client = await listenerReady;
          if (isNew) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
        }
      } catch (error) {
        listenerReady = undefined;
        await unsubscribe();
        throw error;
      }
      return unsubscribe;
    },
    async copyFrom(executor, target, chunks, copyOptions = {}) {
      const client = executors.get(executor);
      if (client === undefined) throw new Error('COPY needs a transaction');
      onRoundTrip?.();
      return copyFromChunks(client, `COPY ${target} FROM STDIN${copyOptions.binary === true ? ' WITH (FORMAT binary)' : ''}`, chunks);
    },
    async close() {
      closed = true;
      clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      listener = undefined;
      listenerReady = undefined;
      handlers.clear();
      discardListener?.();
      discardListener = undefined;
      if (options.ownsPool) await pool.end();
    },
  };
}
