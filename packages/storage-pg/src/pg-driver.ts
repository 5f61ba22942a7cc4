import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '@tradepipe/core';
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
 * A {@link SqlDriver} over a `pg.Pool`. Transactions hold one pooled connection; a connection that failed
 * mid-transaction is destroyed, never returned to the pool. LISTEN runs on one dedicated connection.
 * @internal
 */
export function createPgDriver(pool: pg.Pool, options: PgDriverOptions): SqlDriver {
  const { onRoundTrip } = options;
  const executors = new WeakMap<SqlExecutor, pg.PoolClient>();
  let listener: pg.PoolClient | undefined;
  let listenerReady: Promise<pg.PoolClient> | undefined;
  const handlers = new Map<string, Set<(payload: string) => void>>();
  let closed = false;

  const connectListener = async (): Promise<pg.PoolClient> => {
    const client = await pool.connect();
    client.on('notification', (message) => {
      for (const handler of handlers.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    client.on('error', (error) => {
      options.logger.warn('storage listener connection failed', { error });
      listener = undefined;
      listenerReady = undefined;
      client.release(true);
      scheduleReconnect();
    });
    try {
      for (const channel of handlers.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      client.release(true);
      throw error;
    }
    listener = client;
    return client;
  };
  // Reconnects the listener so waiting workers keep being woken; until then they wake on their timeouts.
  const scheduleReconnect = (): void => {
    const retry = setTimeout(() => {
      if (closed || listenerReady !== undefined || handlers.size === 0) return;
      listenerReady = connectListener();
      listenerReady.catch((error: unknown) => {
        options.logger.warn('storage listener reconnect failed', { error });
        listenerReady = undefined;
        scheduleReconnect();
      });
    }, 1_000);
    retry.unref();
  };
  if (options.ownsPool) pool.on('error', (error) => options.logger.warn('storage idle connection failed', { error }));

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
      let broken = false;
      try {
        onRoundTrip?.();
        await client.query('BEGIN');
        const result = await work(executor);
        onRoundTrip?.();
        await client.query('COMMIT');
        return result;
      } catch (error) {
        broken = isTransientDatabaseError(error);
        if (!broken) {
          try {
            onRoundTrip?.();
            await client.query('ROLLBACK');
          } catch {
            broken = true;
          }
        }
        throw error;
      } finally {
        // A failed connection is destroyed: the server rolls back whatever it had open.
        client.release(broken ? true : undefined);
      }
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
        set.delete(onNotification);
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
    async copyFrom(executor, statement, chunks) {
      const client = executors.get(executor);
      if (client === undefined) throw new Error('COPY needs a transaction');
      onRoundTrip?.();
      return copyFromChunks(client, statement, chunks);
    },
    async close() {
      closed = true;
      const client = listener;
      listener = undefined;
      listenerReady = undefined;
      handlers.clear();
      client?.release(true);
      if (options.ownsPool) await pool.end();
    },
  };
}
