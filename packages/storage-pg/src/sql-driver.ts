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
}

/** Runs SQL. Inside a transaction every call runs on the transaction's connection. @internal */
export interface SqlExecutor {
  query<Row extends SqlRow = SqlRow>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
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
   * Runs `COPY … FROM STDIN` inside a transaction of this driver (server only), sending `chunks` (COPY text
   * format) as they are produced; resolves with the number of rows copied.
   */
  copyFrom?(executor: SqlExecutor, statement: string, chunks: Iterable<string>): Promise<number>;
  close(): Promise<void>;
}
