import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteDriver } from './pglite-driver.js';

describe('PGlite transactions: COMMIT with the statement that says it is the last (`commits`)', () => {
  const database = new PGlite();
  let exchanges = 0;
  const driver = createPgliteDriver(database, { ownsDatabase: false, onRoundTrip: () => (exchanges += 1) });
  beforeAll(async () => {
    await driver.exec('CREATE TABLE ledger (id integer PRIMARY KEY, amount integer NOT NULL CHECK (amount >= 0))');
  });
  afterAll(async () => {
    await driver.close();
    await database.close();
  });

  const count = async (): Promise<number> => (await database.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger')).rows[0]!.n;

  it('commits in the last statement’s exchange (two exchanges for two statements) and returns that statement’s rows', async () => {
    exchanges = 0;
    const rows = await driver.transaction(async (executor) => {
      await executor.query('INSERT INTO ledger VALUES ($1, $2)', [1, 10]);
      return executor.query<{ amount: number }>('UPDATE ledger SET amount = amount + $2 WHERE id = $1 RETURNING amount', [1, 5], { commits: true });
    });
    expect(rows).toEqual([{ amount: 15 }]);
    expect(exchanges).toBe(2);
    expect(await count()).toBe(1);
  });

  it('a failing last statement rolls back the whole transaction, and the session stays usable', async () => {
    const failed = await driver
      .transaction(async (executor) => {
        await executor.query('INSERT INTO ledger VALUES ($1, $2)', [2, 10]);
        await executor.query('UPDATE ledger SET amount = amount - $2 WHERE id = $1', [2, 50], { commits: true });
      })
      .catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: '23514' });
    expect(await count()).toBe(1);
    await expect(driver.transaction((executor) => executor.query('SELECT count(*)::int AS n FROM ledger', [], { commits: true }))).resolves.toEqual([{ n: 1 }]);
  });

  it('refuses a statement after the committing one (nothing runs outside the transaction it belonged to)', async () => {
    const refused = await driver
      .transaction(async (executor) => {
        await executor.query('INSERT INTO ledger VALUES ($1, $2)', [3, 1], { commits: true });
        await executor.query('INSERT INTO ledger VALUES ($1, $2)', [4, 1]);
      })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/committed/);
    expect((await database.query<{ id: number }>('SELECT id FROM ledger ORDER BY id')).rows.map((row) => row.id)).toEqual([1, 3]);
  });

  it('a transaction whose work swallows its last statement’s failure fails: the backend rolled it back', async () => {
    const outcome = await driver
      .transaction(async (executor) => {
        await executor.query('INSERT INTO ledger VALUES ($1, $2)', [5, 1]);
        await executor.query('INSERT INTO ledger VALUES ($1, $2)', [1, 1], { commits: true }).catch(() => undefined); // duplicate key
        return 'swallowed';
      })
      .catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(Error);
    expect((await database.query<{ id: number }>('SELECT id FROM ledger ORDER BY id')).rows.map((row) => row.id)).toEqual([1, 3]);
  });

  it('statements the work runs in parallel inside a transaction each get their own rows', async () => {
    const [first, second] = await driver.transaction((executor) =>
      Promise.all([
        executor.query<{ id: number; amount: number }>('SELECT id, amount FROM ledger WHERE id = $1', [1]),
        executor.query<{ amount: number; id: number }>('SELECT amount, id FROM ledger WHERE id = $1', [3]),
      ]),
    );
    expect(first).toEqual([{ id: 1, amount: 15 }]);
    expect(second).toEqual([{ amount: 1, id: 3 }]);
  });

  it('an executor kept after its transaction refuses to run', async () => {
    let kept: Parameters<Parameters<typeof driver.transaction>[0]>[0] | undefined;
    await driver.transaction(async (executor) => {
      kept = executor;
      return executor.query('SELECT 1', [], { commits: true });
    });
    await expect(kept!.query('SELECT 1')).rejects.toThrow(/ended/);
  });
});
