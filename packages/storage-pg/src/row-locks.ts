import type { StoreContext } from './context.js';

/**
 * A row-locking clause (`FOR UPDATE`, `FOR SHARE`, `FOR UPDATE OF w SKIP LOCKED`) as the store's driver needs it.
 * On a server, the clause as given: it orders concurrent transactions. On PGlite, nothing: PGlite is one session
 * (one backend), and its driver runs every statement and transaction alone, holding PGlite's own transaction
 * lock, which every other caller of the instance waits for; so no other transaction can change or lock the row
 * meanwhile and the lock orders nothing, while taking it still writes the row's lock bits and a WAL record.
 * The reads and writes themselves, and their order, are the same on both.
 * @internal
 */
export function rowLock(context: Pick<StoreContext, 'driver'>, clause: string): string {
  return context.driver.name === 'pglite' ? '' : clause;
}
