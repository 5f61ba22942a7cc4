import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteDriver } from './pglite-driver.js';

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Lets queued microtasks and one macrotask turn run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PGlite session: the drivers’ units run alone on the instance, PGlite’s own callers included', () => {
  const database = new PGlite();
  const driver = createPgliteDriver(database, { ownsDatabase: false });
  beforeAll(async () => {
    await driver.exec('CREATE TABLE things (id integer PRIMARY KEY)');
  });
  afterAll(async () => {
    await driver.close();
    await database.close();
  });

  it('PGlite’s own query does not run inside a driver transaction (it waits for it: a rolled-back row is never seen)', async () => {
    const inserted = gate();
    const counted = gate();
    let seen: unknown;
    const transaction = driver
      .transaction(async (executor) => {
        await executor.query('INSERT INTO things VALUES ($1)', [1]);
        inserted.open();
        await Promise.race([counted.opened, turn().then(turn).then(turn)]);
        throw new Error('roll back');
      })
      .catch((error: unknown) => error);
    await inserted.opened;
    const count = database.query<{ n: number }>('SELECT count(*)::int AS n FROM things').then(({ rows }) => {
      seen = rows[0]?.n;
      counted.open();
    });
    await expect(transaction).resolves.toMatchObject({ message: 'roll back' });
    await count;
    expect(seen).toBe(0);
  });

  it('a driver statement waits for PGlite’s own transaction to end', async () => {
    const inserted = gate();
    const theirs = database
      .transaction(async (tx) => {
        await tx.query('INSERT INTO things VALUES (2)');
        inserted.open();
        await turn();
        await turn();
        await tx.rollback();
      })
      .catch(() => undefined);
    await inserted.opened;
    await expect(driver.query<{ n: number }>('SELECT count(*)::int AS n FROM things')).resolves.toEqual([{ n: 0 }]);
    await theirs;
  });

  it('PGlite’s own callers get their turn while the driver’s statements keep coming (the locks go back between units)', async () => {
    let answered = false;
    // Issued while the driver holds the locks (a statement just ran) and keeps running statements, one after another,
    // with no macrotask in between.
    await driver.query('SELECT 1 AS one');
    const theirs = database.query('SELECT 1 AS one').then(() => {
      answered = true;
    });
    let statements = 0;
    while (!answered && statements < 200_000) {
      await driver.query('SELECT 1 AS one');
      statements += 1;
    }
    await theirs;
    expect(answered).toBe(true);
    expect(statements).toBeLessThan(200_000);
  });
});

describe('PGlite session: a closed instance', () => {
  it('refuses the driver’s statements as PGlite refuses its own calls', async () => {
    const database = new PGlite();
    const driver = createPgliteDriver(database, { ownsDatabase: true });
    await driver.query('SELECT 1 AS one');
    await driver.close();
    await expect(driver.query('SELECT 1 AS one')).rejects.toThrow(/closed/);
    await expect(database.query('SELECT 1 AS one')).rejects.toThrow(/closed/);
  });
});
