/**
 * A row as a driver returns it: int8 and numeric columns arrive as text (both drivers), json as parsed
 * values, booleans and int4 as JS values.
 * @internal
 */
export type SqlRow = Readonly<Record<string, unknown>>;

/**
 * What a statement knows about the work notifications its commit sends: for a payload (a queue table's name),
 * the states that work arrived in through this statement. A payload it does not list may have any state.
 * @internal
 */
export type WorkArrivals = ReadonlyMap<string, readonly string[]>;

/** Options of one statement run outside a transaction. @internal */
export interface QueryOptions {
  /**
   * Handed to the notification listeners with each notification this statement's own commit sends, where the
   * driver can tell (PGlite: one session, so a notification delivered during a statement's exchange is that
   * statement's); elsewhere ignored.
   */
  readonly arrivals?: WorkArrivals;
  /**
   * Inside a transaction: this statement is the transaction's last, so the driver may commit with it (PGlite sends
   * COMMIT in the same exchange; a server commits when the work resolves, as always). Nothing may run in the
   * transaction after it, and the work must return right after it: a failure thrown later could no longer roll
   * the transaction back. A statement that fails still rolls everything back.
   */
  readonly commits?: boolean;
}

/** Runs SQL. Inside a transaction every call runs on the transaction's connection. @internal */
export interface SqlExecutor {
  query<Row extends SqlRow = SqlRow>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/** Options of {@link SqlDriver.copyFrom}. @internal */
export interface CopyOptions {
  /** The chunks are PostgreSQL's binary COPY format (header, tuples, trailer) instead of text. */
  readonly binary?: boolean;
}

/**
 * The little the store needs from a database driver; `pg` and PGlite each implement it.
 * @internal
 */
export interface SqlDriver extends SqlExecutor {
  readonly name: 'postgres' | 'pglite';
  /** Runs `work` in one transaction (READ COMMITTED), committing if it resolves and rolling back if it throws. */
  transaction<T>(work: (executor: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Subscribes to a notification channel; resolves to an unsubscribe function. `arrivals` is the
   * {@link QueryOptions.arrivals} of the statement whose commit sent the notification, when the driver knows it.
   */
  listen(channel: string, onNotification: (payload: string, arrivals?: WorkArrivals) => void): Promise<() => Promise<void>>;
  /**
   * Runs a `COPY … FROM` into `target` (a table and its column list, e.g. `"s".t (a, b)`) inside a transaction
   * of this driver, fed with `chunks` (COPY text format, or binary format with `binary`); resolves with the
   * number of rows copied. A server streams the chunks as they are produced (`FROM STDIN`); PGlite reads them
   * from a file of its in-memory file system. Absent where the driver cannot copy (PGlite as a role that may
   * not read server files).
   */
  copyFrom?(executor: SqlExecutor, target: string, chunks: Iterable<string | Uint8Array>, options?: CopyOptions): Promise<number>;
  close(): Promise<void>;
}
