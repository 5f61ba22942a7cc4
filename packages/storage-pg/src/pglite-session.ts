import type { PGlite } from '@electric-sql/pglite';

/**
 * How long the session may keep PGlite's locks while its own work keeps coming, ms; past it the locks are handed
 * back between two units, so PGlite's other callers (who queue on them) get their turn.
 */
const HOLD_MS = 10;

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The drivers' turn on one PGlite instance: runs their units (a statement, a script, a transaction) one at a
 * time, each alone on the instance. PGlite's own calls take its transaction lock and its query lock around every
 * statement (async-mutex: about 3 kB of promises and closures and a few microseconds each, twice per statement).
 * The session takes both locks once, when a unit arrives, and keeps them while units keep arriving; the units
 * take turns under the session's own lock, which costs nothing when it is free. The locks go back to PGlite
 * when no unit is waiting at the next macrotask (setImmediate), or between two units once held for
 * {@link HOLD_MS} (PGlite's lock queues are first come, first served: a caller waiting meanwhile goes first). A
 * closing or closed instance is found by PGlite's own `_checkReady` when the locks are taken again.
 * Every driver on the instance shares its session (see {@link sessionOf}).
 * @internal
 */
export class PgliteSession {
  /** The session holds PGlite's transaction and query locks. */
  private holding = false;
  private heldSinceMs = 0;
  private releaseLocks: (() => void) | undefined;
  private acquiring = false;
  /** A unit is running. */
  private busy = false;
  private readonly waiting: Waiter[] = [];
  private idleCheck: ReturnType<typeof setImmediate> | undefined;

  constructor(private readonly database: PGlite) {}

  /** Runs `unit` alone on the instance, after the units before it. */
  async run<T>(unit: () => Promise<T>): Promise<T> {
    if (!this.enter()) await new Promise<void>((resolve, reject) => this.enqueue({ resolve, reject }));
    try {
      return await unit();
    } finally {
      this.leave();
    }
  }

  /**
   * Starts a unit now if one may start without waiting (nothing running or waiting, the locks held): the caller
   * then runs its unit and calls {@link leave} once it settled, whatever the outcome. {@link run} without its own
   * async layer, for the driver's one-statement units (each layer allocated a promise, a frame and reactions).
   * @returns whether the unit started (otherwise nothing changed: use {@link run})
   */
  enter(): boolean {
    if (this.busy || this.waiting.length > 0 || !this.mayRun()) return false;
    this.busy = true;
    return true;
  }

  /** Ends the unit {@link enter} (or {@link run}) started, and starts the next one or plans the locks' release. */
  leave(): void {
    this.busy = false;
    this.dispatch();
  }

  /** Whether a unit may start now: the locks are held, not for too long, and the instance is open. */
  private mayRun(): boolean {
    return this.holding && this.database.ready && performance.now() - this.heldSinceMs < HOLD_MS;
  }

  private enqueue(waiter: Waiter): void {
    this.waiting.push(waiter);
    if (!this.busy) this.dispatch();
  }

  /** With no unit running: starts the next one, or takes the locks for it, or plans to hand them back. */
  private dispatch(): void {
    const next = this.waiting[0];
    if (next === undefined) {
      this.releaseWhenIdle();
      return;
    }
    if (this.mayRun()) {
      this.waiting.shift();
      this.busy = true;
      next.resolve();
      return;
    }
    this.release(); // held too long, or the instance is closing: PGlite's other callers go first
    this.acquire();
  }

  private acquire(): void {
    if (this.acquiring) return;
    this.acquiring = true;
    const database = this.database;
    const taken = new Promise<void>((resolve, reject) => {
      database
        ._checkReady()
        .then(() =>
          database._runExclusiveTransaction(() =>
            database._runExclusiveQuery(
              () =>
                new Promise<void>((release) => {
                  this.holding = true;
                  this.heldSinceMs = performance.now();
                  this.releaseLocks = release;
                  resolve();
                }),
            ),
          ),
        )
        .catch(reject);
    });
    taken.then(
      () => {
        this.acquiring = false;
        if (!this.busy) this.dispatch();
      },
      (error: unknown) => {
        // The instance is closing or closed: every unit waiting now fails as PGlite's own calls would.
        this.acquiring = false;
        for (const waiter of this.waiting.splice(0)) waiter.reject(error);
      },
    );
  }

  private release(): void {
    if (!this.holding) return;
    this.holding = false;
    const release = this.releaseLocks;
    this.releaseLocks = undefined;
    release?.();
  }

  private releaseWhenIdle(): void {
    if (!this.holding || this.idleCheck !== undefined) return;
    this.idleCheck = setImmediate(() => {
      this.idleCheck = undefined;
      if (!this.busy && this.waiting.length === 0) this.release();
    });
  }
}

const SESSIONS = new WeakMap<PGlite, PgliteSession>();

/** The session of an instance, shared by every driver on it. @internal */
export function sessionOf(database: PGlite): PgliteSession {
  let session = SESSIONS.get(database);
  if (session === undefined) {
    session = new PgliteSession(database);
    SESSIONS.set(database, session);
  }
  return session;
}
