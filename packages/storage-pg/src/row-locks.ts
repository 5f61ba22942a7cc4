import type { StoreContext } from './context.js';

/**
 * A row-locking clause (`FOR UPDATE`, `FOR SHARE`, `FOR UPDATE OF w SKIP LOCKED`) as the store's driver needs it.
 * On a server, the clause as given: it orders concurrent transactions. On PGlite, nothing: PGlite is one backend,
 * which never has two transactions open at once, so a row lock there can never block or order anything, while
 * taking it still writes the row's lock bits and a WAL record. (The driver also runs each of its transactions
 * alone, under PGlite's transaction lock, which PGlite's `query`, `exec`, `transaction` and `listen` take too;
 * the raw protocol calls `execProtocol*` take none: a caller who sends statements through them beside the store
 * shares its backend, locks or no locks.) The reads and writes themselves, and their order, are the same on both.
 * @internal
 */
export function rowLock(context: Pick<StoreContext, 'driver'>, clause: string): string {
  return context.driver.name === 'pglite' ? '' : clause;
}
