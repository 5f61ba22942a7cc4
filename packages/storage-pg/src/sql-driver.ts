/**
 * A row as a driver returns it: int8 and numeric columns arrive as text (both drivers), json as parsed
 * values, booleans and int4 as JS values.
 * @internal
 */
export type SqlRow = Readonly<Record<string, unknown>>;

/** Runs SQL. Inside a transaction every call runs on the transaction's connection. @internal */
export interface SqlExecutor {
  query<Row extends SqlRow = SqlRow>(text: string, params?: readonly unknown[]): Promise<Row[]>;
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
  /** Subscribes to a notification channel; resolves to an unsubscribe function. */
  listen(channel: string, onNotification: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * Runs `COPY … FROM STDIN` inside a transaction of this driver (server only), sending `chunks` (COPY text
   * format) as they are produced; resolves with the number of rows copied.
   */
  copyFrom?(executor: SqlExecutor, statement: string, chunks: Iterable<string>): Promise<number>;
  close(): Promise<void>;
}
