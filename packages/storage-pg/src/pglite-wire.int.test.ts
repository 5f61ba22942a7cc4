import { PGlite } from '@electric-sql/pglite';
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
});
