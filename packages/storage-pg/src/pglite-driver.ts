import type { PGlite } from '@electric-sql/pglite';
import { runScript, runStatement } from './pglite-wire.js';
import type { SqlDriver, SqlExecutor, SqlRow, WorkArrivals } from './sql-driver.js';

/** Options of {@link createPgliteDriver}. @internal */
export interface PgliteDriverOptions {
  readonly ownsDatabase: boolean;
  /**
   * Benchmarks and tests only: called once per exchange with the WebAssembly backend (a round trip), PGlite's
   * own included (its `query` makes six, `exec` two). Wraps the instance's `execProtocolStream`.
   */
  readonly onRoundTrip?: () => void;
}

// Every statement PGlite runs, its own included, goes through `execProtocolStream`: count there.
function countExchanges(database: PGlite, onRoundTrip: () => void): void {
  const exchange = database.execProtocolStream.bind(database);
  database.execProtocolStream = (message, exchangeOptions) => {
    onRoundTrip();
    return exchange(message, exchangeOptions);
  };
}

/** Thrown when COMMIT finds the transaction aborted (PGlite's own `transaction` throws the same SQLSTATE). */
function transactionAborted(): Error {
  return Object.assign(new Error('The transaction was rolled back instead of committed'), { code: '25P02' });
}

/**
 * A {@link SqlDriver} over an embedded PGlite instance. PGlite is one session: statements and transactions
 * run one after another (under PGlite's own transaction and query locks, so other users of the instance wait
 * too), so claims never race; notifications are delivered in process, during the exchange of the statement
 * that sent them (PGlite queues them as microtasks while it parses the exchange's answer, so they run before
 * the statement's caller resumes): listeners get the statement's `arrivals`.
 * Each statement is one exchange with the backend through a named prepared statement; a transaction's BEGIN
 * rides with its first statement and COMMIT is one more exchange (PGlite's `query` takes six exchanges and
 * its `transaction` four more).
 * @internal
 */
export function createPgliteDriver(database: PGlite, options: PgliteDriverOptions): SqlDriver {
  if (options.onRoundTrip !== undefined) countExchanges(database, options.onRoundTrip);
  // Statements outside a transaction: the transaction lock keeps them out of another caller's transaction.
  const alone = async <T>(work: () => Promise<T>): Promise<T> => {
    await database._checkReady();
    return database._runExclusiveTransaction(() => database._runExclusiveQuery(work));
  };
  // The arrivals of this driver's statement in flight (under PGlite's locks, so no other statement runs meanwhile).
  let inFlightArrivals: WorkArrivals | undefined;
  return {
    name: 'pglite',
    query: <Row extends SqlRow>(text: string, params: readonly unknown[] = [], queryOptions: { readonly arrivals?: WorkArrivals } = {}) =>
      alone(async () => {
        inFlightArrivals = queryOptions.arrivals;
        try {
          return await runStatement<Row>(database, text, params, { syncToFs: true });
        } finally {
          inFlightArrivals = undefined;
        }
      }),
    exec: async (script) => {
      await alone(() => runScript(database, script, { syncToFs: true }));
    },
    async transaction<T>(work: (executor: SqlExecutor) => Promise<T>): Promise<T> {
      await database._checkReady();
      return database._runExclusiveTransaction(() => inTransaction(database, work));
    },
    async listen(channel, onNotification) {
      const unlisten = await database.listen(channel, (payload) => onNotification(payload, inFlightArrivals));
      return async () => {
        if (!database.closed) await unlisten();
      };
    },
    async close() {
      if (options.ownsDatabase && !database.closed) await database.close();
    },
  };
}

// Runs `work` in a transaction; the caller holds the transaction lock. BEGIN is sent with the first statement,
// so a transaction that refuses before any SQL costs nothing.
async function inTransaction<T>(database: PGlite, work: (executor: SqlExecutor) => Promise<T>): Promise<T> {
  let begun = false;
  const next = (): { prefix: string | undefined; syncToFs: false } => {
    const prefix = begun ? undefined : 'BEGIN';
    begun = true;
    return { prefix, syncToFs: false };
  };
  const executor: SqlExecutor = {
    query: <Row extends SqlRow>(text: string, params: readonly unknown[] = []) =>
      database._runExclusiveQuery(() => runStatement<Row>(database, text, params, next())),
    exec: async (script) => {
      await database._runExclusiveQuery(() => runScript(database, script, next()));
    },
  };
  try {
    const result = await work(executor);
    if (begun && (await database._runExclusiveQuery(() => runScript(database, 'COMMIT', { syncToFs: true }))) === 'ROLLBACK') {
      throw transactionAborted();
    }
    return result;
  } catch (error) {
    if (begun) {
      // The original failure is what the caller needs; a failed ROLLBACK (a closed instance) adds nothing.
      await database._runExclusiveQuery(() => runScript(database, 'ROLLBACK', { syncToFs: true })).catch(() => undefined);
    }
    throw error;
  }
}
