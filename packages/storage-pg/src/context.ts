import { systemClock, type Clock, type Logger } from '@tradepipe/core';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';

/** What every part of the SQL store shares. @internal */
export interface StoreContext {
  readonly driver: SqlDriver;
  /** The schema, unquoted (a checked identifier). */
  readonly schema: string;
  /** The schema, quoted for SQL: prefix every table with it. */
  readonly s: string;
  /** When set, every "now" comes from this clock; otherwise from the database's `clock_timestamp()`. */
  readonly clock: Clock | undefined;
  readonly logger: Logger;
}

/**
 * SQL for "now" in epoch ms: the parameter when the store has a clock, the database clock when the
 * parameter is NULL. Pass {@link nowParam} at `index`.
 * @internal
 */
export function nowSql(index: number): string {
  return `coalesce($${index}::bigint, floor(extract(epoch from clock_timestamp()) * 1000)::bigint)`;
}

/** The value for {@link nowSql}'s parameter. @internal */
export function nowParam(context: StoreContext): number | null {
  return context.clock === undefined ? null : context.clock.nowMs();
}

/**
 * The store's "now" in epoch ms, read once: from the clock; on PGlite without one, from this process's clock
 * (the embedded database's `clock_timestamp()` reads that same clock: no round trip); otherwise one query to
 * the database.
 * @internal
 */
export async function currentMs(context: StoreContext, executor: SqlExecutor = context.driver): Promise<number> {
  if (context.clock !== undefined) return context.clock.nowMs();
  if (context.driver.name === 'pglite') return systemClock.nowMs();
  const [row] = await executor.query<{ ms: string }>(`SELECT ${nowSql(1)} AS ms`, [null]);
  return Number(row?.ms);
}

/** The notification channel of a schema's work queues. @internal */
export function workChannel(schema: string): string {
  return `${schema}_work`;
}

/**
 * A statement text that depends on nothing but its store's context (the schema, the driver), built once per
 * context: a text built per call (with `${context.s}` and the like) was allocated, then copied flat when the
 * driver looked its prepared statement up by it, on every call (a few kilobytes per candle on the live path).
 * @param build the text for a context; called once per context
 * @returns the text for a context
 * @internal
 */
export function perContext(build: (context: StoreContext) => string): (context: StoreContext) => string {
  const texts = new WeakMap<StoreContext, string>();
  return (context) => {
    let text = texts.get(context);
    if (text === undefined) {
      text = build(context);
      texts.set(context, text);
    }
    return text;
  };
}
