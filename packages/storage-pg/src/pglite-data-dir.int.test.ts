import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTradepipeError } from '@tradepipe/core';
import { testCandle, testRecommendation } from '@tradepipe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgliteStore } from './pglite-store.js';

describe('PGlite store in a data directory', () => {
  const directories: string[] = [];
  afterAll(async () => {
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
  });

  it('keeps records and queue states across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tradepipe-pglite-'));
    directories.push(dataDir);
    const first = await createPgliteStore({ dataDir });
    await first.putCandles([testCandle({ index: 0 }), testCandle({ index: 1 })]);
    const recommendation = testRecommendation();
    await first.insertRecommendation(recommendation, 'PENDING_RISK');
    const [claim] = await first.claim({ kind: 'candle', state: 'PENDING', workerId: 'w', leaseMs: 60_000, limit: 1, ordered: true });
    await first.complete(claim!, { state: 'DONE' });
    await first.close();

    const second = await createPgliteStore({ dataDir });
    expect(await second.countByState('candle')).toEqual({ DONE: 1, PENDING: 1 });
    expect((await second.getRecommendation(recommendation.id))?.status.state).toBe('PENDING_RISK');
    expect(await second.putCandles([testCandle({ index: 1 })])).toEqual({ inserted: 0, duplicates: 1, conflicts: [] });
    await second.close();
    // Two PGlite starts on disk (initdb in WebAssembly): minutes when the machine is loaded (128 s seen at load 26).
  }, 600_000);

  it('creates a missing data directory with its parents, as for the documented ./.tradepipe/db', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tradepipe-pglite-'));
    directories.push(root);
    const dataDir = join(root, '.tradepipe', 'nested', 'db');
    const store = await createPgliteStore({ dataDir });
    expect(await store.putCandles([testCandle({ index: 0 })])).toMatchObject({ inserted: 1 });
    await store.close();
    expect((await stat(join(dataDir, 'PG_VERSION'))).isFile()).toBe(true);
    // One PGlite start on disk (initdb in WebAssembly): minutes on a loaded machine, as above.
  }, 600_000);

  it('says why a data directory cannot be opened: storage_failed with the cause in the message', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tradepipe-pglite-'));
    directories.push(root);
    await writeFile(join(root, 'not-a-directory'), 'a file where a directory should be');
    const dataDir = join(root, 'not-a-directory', 'db');
    const error = await createPgliteStore({ dataDir }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(isTradepipeError(error, 'storage_failed')).toBe(true);
    expect((error as Error).message).toMatch(/^Could not open PGlite in .+not-a-directory.db: ENOTDIR: not a directory, mkdir '.+not-a-directory.db'$/);
    expect((error as { details: unknown }).details).toMatchObject({ operation: 'open PGlite', sqlState: 'ENOTDIR' });
  });
});
