import { PGlite } from '@electric-sql/pglite';
import { createManualClock, silentLogger } from '@tradepipe/core';
import { testCandle } from '@tradepipe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { getCandles } from './candles-sql.js';
import { quoteSchema, runMigrations } from './migrate.js';
import { createPgliteDriver } from './pglite-driver.js';
import { createPgliteStore } from './pglite-store.js';

describe('getCandles in pages (a series longer than one JSON value holds)', () => {
  const database = new PGlite();
  afterAll(async () => {
    await database.close();
  });

  it('gives every candle of a series, and the last `limit` of it, the same page by page as in one piece', async () => {
    const candles = Array.from({ length: 11 }, (_, index) => testCandle({ index }));
    const clock = createManualClock(candles.at(-1)!.startMs + 10 * 3_600_000);
    const store = await createPgliteStore({ database, clock, schema: 'pages' });
    await store.putCandles(candles);
    const driver = createPgliteDriver(database, { ownsDatabase: false });
    await runMigrations(driver, 'pages');
    const context = { driver, schema: 'pages', s: quoteSchema('pages'), clock, logger: silentLogger };
    const { productId, granularity } = candles[0]!;
    const asOfMs = clock.nowMs();
    for (const page of [1, 3, 4, 11, 500_000]) {
      expect(await getCandles(context, { productId, granularity, asOfMs }, page)).toEqual(candles);
      expect(await getCandles(context, { productId, granularity, asOfMs, limit: 7 }, page)).toEqual(candles.slice(4));
      expect(await getCandles(context, { productId, granularity, asOfMs, fromStartMs: candles[2]!.startMs, limit: 20 }, page)).toEqual(candles.slice(2));
      expect(await getCandles(context, { productId, granularity, asOfMs: candles[5]!.startMs + 3_600_000, fromStartMs: candles[1]!.startMs }, page)).toEqual(candles.slice(1, 6));
    }
  });
});
