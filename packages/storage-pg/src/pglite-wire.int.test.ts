import { PGlite, messages } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgliteDriver } from './pglite-driver.js';

describe('PGlite wire: parameters through the store’s own Bind message', () => {
  const database = new PGlite();
  const driver = createPgliteDriver(database, { ownsDatabase: true });
  afterAll(() => driver.close());

  it('passes text of any UTF-8 length, empty strings, NULLs and arrays through unchanged', async () => {
    const multiByte = 'é€😀 "quoted" \\ back\nline';
    const large = 'x'.repeat(100_000) + multiByte;
    const [row] = await driver.query<{ a: string; b: string; c: string | null; d: string; e: string[]; f: number }>(
      'SELECT $1::text AS a, $2::text AS b, $3::text AS c, $4::text AS d, $5::text[] AS e, octet_length($4::text) AS f',
      [multiByte, '', null, large, ['one', multiByte, '']],
    );
    expect(row).toEqual({ a: multiByte, b: '', c: null, d: large, e: ['one', multiByte, ''], f: Buffer.byteLength(large) });
  });

  it('writes integers as String writes them (digits written without a string), other numbers through String', async () => {
    const numbers = [0, -0, 7, -12, 99_999_999, 100_000_000, -100_000_001, 1_704_067_200_000, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 0.1, -1.5e-7, 1e21];
    const placeholders = numbers.map((_, index) => `$${index + 1}::text AS n${index}`).join(', ');
    // Twice: the first run prepares the statement (a Bind built apart), the second writes into the reused buffer.
    for (let run = 0; run < 2; run += 1) {
      const [row] = await driver.query<Record<string, string>>(`SELECT ${placeholders}`, numbers);
      expect(numbers.map((_, index) => row?.[`n${index}`])).toEqual(numbers.map(String));
    }
  });
});

describe('PGlite wire: answers read by the driver itself', () => {
  const database = new PGlite();
  const driver = createPgliteDriver(database, { ownsDatabase: true });
  afterAll(() => driver.close());

  it('throws the same DatabaseError as PGlite’s own query: class, SQLSTATE, message, detail, constraint, table', async () => {
    await driver.exec('CREATE TABLE unique_things (id integer PRIMARY KEY, name text)');
    await driver.query('INSERT INTO unique_things VALUES ($1, $2)', [1, 'one']);
    const ours = await driver.query('INSERT INTO unique_things VALUES ($1, $2)', [1, 'again']).catch((error: unknown) => error);
    const theirs = await database.query('INSERT INTO unique_things VALUES ($1, $2)', [1, 'again']).catch((error: unknown) => error);
    expect(ours).toBeInstanceOf(messages.DatabaseError);
    expect(ours).toMatchObject({ code: '23505', constraint: 'unique_things_pkey', table: 'unique_things', detail: 'Key (id)=(1) already exists.' });
    // PGlite's `query` adds the query and its parameters to the error it throws; the protocol's error is the rest.
    const { query: _query, params: _params, queryOptions: _options, ...protocolError } = theirs as Record<string, unknown>;
    expect({ ...(ours as object), message: (ours as Error).message }).toEqual({ ...protocolError, message: (theirs as Error).message });
    // The statement stays usable, and so does the session.
    await expect(driver.query('INSERT INTO unique_things VALUES ($1, $2) RETURNING name', [2, 'two'])).resolves.toEqual([{ name: 'two' }]);
  });

  it('a statement first refused after Parse is prepared again on its next run', async () => {
    await expect(driver.query('SELECT $1::integer / 0 AS refused', [1])).rejects.toMatchObject({ code: '22012' });
    await expect(driver.query('SELECT $1::integer / 0 AS refused', [1])).rejects.toMatchObject({ code: '22012' });
    await expect(driver.query('SELECT $1::integer / 1 AS refused', [7])).resolves.toEqual([{ refused: 7 }]);
  });

  it('reads the rows of a statement run without Describe with its first run’s columns, and refuses one whose columns changed', async () => {
    await driver.exec(`CREATE TABLE described (id integer, amount numeric, big bigint, at timestamptz, data jsonb, flag boolean)`);
    await driver.query(`INSERT INTO described VALUES (1, 1.50, 9007199254740993, '2026-01-01T00:00:00Z', '{"a":[1]}', true)`);
    const first = await driver.query('SELECT * FROM described WHERE id = $1', [1]);
    const again = await driver.query('SELECT * FROM described WHERE id = $1', [1]);
    expect(again).toEqual(first);
    expect(again).toEqual([{ id: 1, amount: '1.50', big: '9007199254740993', at: new Date('2026-01-01T00:00:00Z'), data: { a: [1] }, flag: true }]);
    await expect(driver.query('SELECT * FROM described WHERE id = $1', [2])).resolves.toEqual([]);
    await driver.exec('ALTER TABLE described ADD COLUMN extra text');
    // The server refuses the prepared statement, as it did when every run was described: never rows under old names.
    await expect(driver.query('SELECT * FROM described WHERE id = $1', [1])).rejects.toMatchObject({ code: '0A000' });
  });

  it('delivers notifications: the driver’s own statements with their arrivals, PGlite’s own calls without, to every driver on the instance', async () => {
    const other = createPgliteDriver(database, { ownsDatabase: false });
    const heard: unknown[][] = [];
    const unlisten = await driver.listen('Wire_Channel', (payload, arrivals) => heard.push(['driver', payload, arrivals]));
    const unlistenOther = await other.listen('wire_channel', (payload, arrivals) => heard.push(['other', payload, arrivals]));
    const arrivals = new Map([['table', ['STATE']]]);
    await driver.query(`SELECT pg_notify('wire_channel', $1)`, ['from the driver'], { arrivals });
    expect(heard).toEqual([
      ['driver', 'from the driver', arrivals],
      ['other', 'from the driver', arrivals],
    ]);
    heard.length = 0;
    await database.query(`NOTIFY wire_channel, 'from PGlite'`);
    await new Promise((resolve) => queueMicrotask(() => resolve(undefined)));
    expect(heard).toEqual([
      ['driver', 'from PGlite', undefined],
      ['other', 'from PGlite', undefined],
    ]);
    heard.length = 0;
    await unlisten();
    await unlistenOther();
    await driver.query(`SELECT pg_notify('wire_channel', $1)`, ['nobody listens']);
    await database.query(`NOTIFY wire_channel, 'nobody listens'`);
    expect(heard).toEqual([]);
  });
});

describe('PGlite wire: several instances in one process', () => {
  const first = createPgliteDriver(new PGlite(), { ownsDatabase: true });
  const second = createPgliteDriver(new PGlite(), { ownsDatabase: true });
  afterAll(async () => {
    await first.close();
    await second.close();
  });

  it('reads each exchange’s own answer while exchanges with the other instance run in between', async () => {
    const runs = Array.from({ length: 200 }, (_, index) =>
      Promise.all([
        first.query<{ value: string }>('SELECT $1::text AS value', [`first-${index}`]),
        second.query<{ value: string }>('SELECT $1::text AS value, 2 AS other', [`second-${index}`]),
      ]),
    );
    const answers = await Promise.all(runs);
    answers.forEach(([fromFirst, fromSecond], index) => {
      expect(fromFirst).toEqual([{ value: `first-${index}` }]);
      expect(fromSecond).toEqual([{ value: `second-${index}`, other: 2 }]);
    });
  });
});
