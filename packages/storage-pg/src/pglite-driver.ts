import { messages, type PGlite } from '@electric-sql/pglite';
import { sessionOf, type PgliteSession } from './pglite-session.js';
import { addNotificationListener, runScript, runScriptResult, runStatement, runStatementResult, type Prefix } from './pglite-wire.js';
import type { CopyOptions, QueryOptions, SqlDriver, SqlExecutor, SqlRow, WorkArrivals } from './sql-driver.js';

/** Options of {@link createPgliteDriver}. @internal */
export interface PgliteDriverOptions {
  readonly ownsDatabase: boolean;
  /**
   * Benchmarks and tests only: called once per exchange with the WebAssembly backend (a round trip), PGlite's
   * own included (its `query` makes six, `exec` two). Wraps the instance's `execProtocolRawSync`.
   */
  readonly onRoundTrip?: () => void;
  /**
   * Whether the driver may run `COPY … FROM` a file of the instance's in-memory file system (its role is a
   * superuser or may read server files: see {@link mayCopyFromFiles}); without it the driver has no `copyFrom`.
   */
  readonly copyFromFiles?: boolean;
}

/** The part of Emscripten's file system `copyFrom` uses. */
interface EmscriptenFs {
  writeFile(path: string, data: Uint8Array): void;
  unlink(path: string): void;
}

function fileSystemOf(database: PGlite): EmscriptenFs | undefined {
  const fs = (database as unknown as { mod?: { FS?: Partial<EmscriptenFs> } }).mod?.FS;
  return typeof fs?.writeFile === 'function' && typeof fs.unlink === 'function' ? (fs as EmscriptenFs) : undefined;
}

/**
 * Whether the instance's role may `COPY … FROM` a file (a superuser, as PGlite's default `postgres` is, or a
 * member of `pg_read_server_files`): what {@link PgliteDriverOptions.copyFromFiles} needs.
 * @internal
 */
export async function mayCopyFromFiles(database: PGlite): Promise<boolean> {
  if (fileSystemOf(database) === undefined) return false;
  const { rows } = await database.query<{ allowed: boolean }>(
    `SELECT rolsuper OR pg_has_role(current_user, 'pg_read_server_files', 'USAGE') AS allowed FROM pg_roles WHERE rolname = current_user`,
  );
  return rows[0]?.allowed === true;
}

/** One chunk list as bytes: text chunks as UTF-8. */
function bytesOf(chunks: Iterable<string | Uint8Array>): Uint8Array {
  const parts = [...chunks].map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** Names each COPY's file apart. */
let copyFileCount = 0;

/**
 * PGlite's `COPY … FROM`: PGlite has no `COPY … FROM STDIN`, so the data is written to a file of the
 * instance's in-memory file system (also with a data directory: only the data directory is on disk), read
 * by a server-side `COPY … FROM '<file>'` (the statement PGlite's own `/dev/blob` runs, without its device,
 * which hands the data over one byte at a time in JavaScript) and removed.
 */
function copyThroughFile(fs: EmscriptenFs) {
  return async (executor: SqlExecutor, target: string, chunks: Iterable<string | Uint8Array>, copyOptions: CopyOptions = {}): Promise<number> => {
    if (!(executor instanceof PgliteTransaction)) throw new Error('COPY needs a transaction');
    copyFileCount += 1;
    const path = `/tmp/tradepipe-copy-${copyFileCount}`;
    fs.writeFile(path, bytesOf(chunks));
    try {
      const result = await executor.runScript(`COPY ${target} FROM '${path}'${copyOptions.binary === true ? ' WITH (FORMAT binary)' : ''}`);
      return result?.affectedRows ?? 0;
    } finally {
      try {
        fs.unlink(path);
      } catch {
        // The file is gone with its instance (a closed or aborted PGlite): the COPY's own outcome is what counts.
      }
    }
  };
}

// Every exchange with the backend, PGlite's own included, goes through `execProtocolRawSync`: count there.
function countExchanges(database: PGlite, onRoundTrip: () => void): void {
  const exchange = database.execProtocolRawSync.bind(database);
  database.execProtocolRawSync = (message) => {
    onRoundTrip();
    return exchange(message);
  };
}

/** Thrown when COMMIT finds the transaction aborted (PGlite's own `transaction` throws the same SQLSTATE). */
function transactionAborted(): Error {
  return Object.assign(new Error('The transaction was rolled back instead of committed'), { code: '25P02' });
}

/**
 * A {@link SqlDriver} over an embedded PGlite instance. PGlite is one session: statements and transactions
 * run one after another (in the instance's {@link PgliteSession}, which holds PGlite's own transaction and query
 * locks while they run, so other users of the instance wait too), so claims never race; notifications are delivered in process, with the answer of the exchange that
 * sent them (the driver reads the answer's bytes itself and queues the listeners as microtasks, as PGlite does,
 * so they run before the statement's caller resumes): listeners get the statement's `arrivals`. Notifications
 * that PGlite's own calls on the instance deliver reach the listeners through PGlite's `listen`, without.
 * Each statement is one exchange with the backend through a named prepared statement (described on its first
 * run only); a transaction's BEGIN rides with its first statement and COMMIT is one more exchange (PGlite's
 * `query` takes six exchanges and its `transaction` four more).
 * @internal
 */
export function createPgliteDriver(database: PGlite, options: PgliteDriverOptions): SqlDriver {
  if (options.onRoundTrip !== undefined) countExchanges(database, options.onRoundTrip);
  // Every statement, script and transaction runs alone on the instance, in the instance's session.
  const session = sessionOf(database);
  const fs = options.copyFromFiles === true ? fileSystemOf(database) : undefined;
  return {
    ...(fs === undefined ? {} : { copyFrom: copyThroughFile(fs) }),
    name: 'pglite',
    query: <Row extends SqlRow>(text: string, params: readonly unknown[] = NO_PARAMS, queryOptions?: { readonly arrivals?: WorkArrivals }) =>
      session.enter()
        ? statementInUnit<Row>(session, database, text, params, queryOptions?.arrivals)
        : session.run(() => runStatement<Row>(database, text, params, undefined, true, queryOptions?.arrivals)),
    exec: async (script) => {
      await session.run(() => runScript(database, script, { syncToFs: true }));
    },
    transaction: <T>(work: (executor: SqlExecutor) => Promise<T>): Promise<T> => session.run(() => inTransaction(database, work)),
    async listen(channel, onNotification) {
      // The driver's own exchanges deliver through `addNotificationListener`, PGlite's own calls through `listen`.
      // A closure of its own per subscription: the same function subscribed twice is two subscriptions.
      const remove = addNotificationListener(database, channel, (payload, arrivals) => onNotification(payload, arrivals));
      try {
        const unlisten = await database.listen(channel, (payload) => onNotification(payload));
        return async () => {
          remove();
          if (!database.closed) await unlisten();
        };
      } catch (error) {
        remove();
        throw error;
      }
    },
    async close() {
      if (options.ownsDatabase && !database.closed) await database.close();
    },
  };
}

/** No parameters (one array for every call without them). */
const NO_PARAMS: readonly unknown[] = Object.freeze([]);

/**
 * Runs one statement in the unit of the session the caller started ({@link PgliteSession.enter}) and ends the
 * unit: the session's `run` and the statement in one async function, where they were two (see
 * {@link runStatementResult}).
 */
async function statementInUnit<Row extends SqlRow>(
  session: PgliteSession,
  database: PGlite,
  text: string,
  params: readonly unknown[],
  arrivals: WorkArrivals | undefined,
): Promise<Row[]> {
  try {
    return (await runStatementResult(database, text, params, undefined, true, arrivals, false)).rows as Row[];
  } finally {
    session.leave();
  }
}

/** A promise already fulfilled: a transaction's calls chain from it. */
const SETTLED: Promise<unknown> = Promise.resolve();

/** Swallows a settled call's failure in a transaction's chain (its caller gets it). */
const ignoreFailure = (): undefined => undefined;

/**
 * A transaction's state and its executor (see {@link inTransaction}): one object, whose only closures are `query`
 * and `exec`, found by COPY as what it is (no map from executors to their scripts).
 */
class PgliteTransaction implements SqlExecutor {
  /** BEGIN was sent (with the first exchange). */
  begun = false;
  /** The transaction's COMMIT was sent, by its last statement (`commits`). */
  committed = false;
  /** The `commits` statement failed: the backend rolled the transaction back, whatever the work does with the error. */
  rolledBack = false;
  /** The transaction is over: the executor refuses. */
  ended = false;
  /** The last call made, settled or not: the next one runs after it. */
  tail: Promise<unknown> = SETTLED;

  constructor(private readonly database: PGlite) {}

  /**
   * Runs one statement in the transaction. `query` and `exec` are own properties, as the executor object's were: a
   * copy of the executor (`{ ...executor }`, as wrappers make) still runs them in this transaction.
   */
  readonly query = <Row extends SqlRow>(text: string, params: readonly unknown[] = NO_PARAMS, options?: QueryOptions): Promise<Row[]> =>
    this.inTurn(() => (options?.commits === true ? this.commitWith<Row>(text, params) : runStatement<Row>(this.database, text, params, this.nextPrefix(), false)));

  /** Runs a script of statements in the transaction (an own property, as {@link query}). */
  readonly exec = (script: string): Promise<void> =>
    this.inTurn(async () => {
      await runScript(this.database, script, { prefix: this.nextPrefix(), syncToFs: false });
    });

  /** Runs a simple-protocol script in the transaction (COPY); resolves with its last command tag and affected rows. */
  runScript(script: string): Promise<{ readonly command: string | undefined; readonly affectedRows: number } | undefined> {
    return this.inTurn(() => runScriptResult(this.database, script, { prefix: this.nextPrefix(), syncToFs: false }));
  }

  /** Runs `call` once every call made before it settled; refuses once the transaction has ended. */
  private inTurn<R>(call: () => Promise<R>): Promise<R> {
    const run = this.tail.then(() => {
      if (this.ended) throw new Error('The transaction has ended: its executor runs nothing more');
      return call();
    });
    this.tail = run.catch(ignoreFailure);
    return run;
  }

  /** The prefix of the transaction's next exchange: BEGIN with its first. */
  private nextPrefix(): Prefix {
    if (this.committed) throw new Error('The transaction was committed by its last statement: nothing more runs in it');
    const prefix = this.begun ? undefined : 'BEGIN';
    this.begun = true;
    return prefix;
  }

  private async commitWith<Row extends SqlRow>(text: string, params: readonly unknown[]): Promise<Row[]> {
    const prefix = this.nextPrefix();
    this.committed = true; // the exchange ends with COMMIT (a ROLLBACK after a failed statement): the transaction is over
    let result: { readonly rows: SqlRow[]; readonly command: string | undefined };
    try {
      result = await runStatementResult(this.database, text, params, prefix, true, undefined, true);
    } catch (error) {
      // The backend's answer: its COMMIT became a ROLLBACK. Not the backend's (the exchange itself failed): the
      // COMMIT may not have run, so roll back.
      if (error instanceof messages.DatabaseError) this.rolledBack = true;
      else this.committed = false;
      throw error;
    }
    if (result.command === 'ROLLBACK') {
      this.rolledBack = true;
      throw transactionAborted();
    }
    return result.rows as Row[];
  }
}

// Runs `work` in a transaction; the caller has the instance's session (so each statement runs alone). BEGIN is
// sent with the first statement, so a transaction that refuses before any SQL costs nothing; COMMIT with the
// statement that says it is the last (`commits`), otherwise once the work resolved: one exchange more.
// The executor's calls run one after another even when the work makes them in parallel (an answer is read from
// the instance's buffer after its exchange, which the next exchange overwrites), and it refuses once the
// transaction has ended.
async function inTransaction<T>(database: PGlite, work: (executor: SqlExecutor) => Promise<T>): Promise<T> {
  const transaction = new PgliteTransaction(database);
  try {
    const result = await work(transaction);
    await transaction.tail; // a call the work did not wait for finishes inside the transaction
    transaction.ended = true; // from here on the executor refuses: nothing may run beside the COMMIT or after it
    if (transaction.rolledBack) throw transactionAborted(); // the work swallowed its last statement's failure: nothing was committed
    if (transaction.begun && !transaction.committed && (await runScript(database, 'COMMIT', { syncToFs: true })) === 'ROLLBACK') throw transactionAborted();
    return result;
  } catch (error) {
    await transaction.tail; // nothing of the work's still runs when the transaction ends
    transaction.ended = true;
    if (transaction.begun && !transaction.committed) {
      // The original failure is what the caller needs; a failed ROLLBACK (a closed instance) adds nothing.
      await runScript(database, 'ROLLBACK', { syncToFs: true }).catch(() => undefined);
    }
    throw error;
  } finally {
    transaction.ended = true;
  }
}
