// A PGlite instance the caller passes in (`createPgliteStore({ database })`), in a data directory: the store keeps
// its tables logged, a committed bulk import survives a close and reopen and a crash (SIGKILL) of a later import,
// whose records never show; and the instance's in-memory files grow in larger steps, as the store's own do.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { createManualClock } from '@tradepipe/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgliteStore } from './pglite-store.js';
import { minuteCandlesWithSignals } from './test-bulk-batch.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const FIRST_START_MS = Date.UTC(2024, 0, 1);
const FIRST_COUNT = 5_000;
/** The crashed import: large enough (≈ 180 MB of write-ahead log) to be killed well before it could commit. */
const SECOND_START_MS = FIRST_START_MS + FIRST_COUNT * 60_000;
const SECOND_COUNT = 100_000;

interface MemoryFile {
  contents: Uint8Array;
}
interface MemoryFileSystem {
  open(path: string, flags: string): unknown;
  write(stream: unknown, data: Uint8Array, offset: number, length: number): number;
  close(stream: unknown): void;
  lookupPath(path: string): { node: MemoryFile };
}

/** Work-state counts and the persistence of the bulk tables ('p' logged, 'u' unlogged) of the instance in `dataDir`. */
async function inspect(database: PGlite): Promise<{ candles: Record<string, number>; signals: Record<string, number>; persistence: string[] }> {
  const store = await createPgliteStore({ database, migrate: false, clock: createManualClock(SECOND_START_MS + SECOND_COUNT * 60_000) });
  const candles = await store.countByState('candle');
  const signals = await store.countByState('signal');
  await store.close(); // leaves the caller's instance open
  const { rows } = await database.query<{ relpersistence: string }>(
    `SELECT relpersistence FROM pg_class WHERE relnamespace = 'tradepipe'::regnamespace AND relname IN ('crypto_prices', 'trading_signals', 'trade_recommendations') ORDER BY relname`,
  );
  return { candles, signals, persistence: rows.map((row) => row.relpersistence) };
}

/** Names of the write-ahead log's segment files. */
async function walSegments(dataDir: string): Promise<Set<string>> {
  return new Set((await readdir(join(dataDir, 'pg_wal'))).filter((name) => /^[0-9A-F]{24}$/.test(name)));
}

describe("a caller's PGlite instance", () => {
  const directories: string[] = [];
  afterAll(async () => {
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
  });

  it('grows its in-memory files in larger steps once a store uses it (an instance not yet ready when passed in)', async () => {
    const database = new PGlite();
    try {
      const store = await createPgliteStore({ database });
      await store.close();
      const fs = (database as unknown as { mod: { FS: MemoryFileSystem } }).mod.FS;
      const stream = fs.open('/tmp/tradepipe-caller-growth', 'w+');
      const block = new Uint8Array(1024 * 1024);
      const capacities = new Set<number>();
      for (let index = 0; index < 10; index += 1) {
        fs.write(stream, block, 0, block.length);
        capacities.add(fs.lookupPath('/tmp/tradepipe-caller-growth').node.contents.length / (1024 * 1024));
      }
      fs.close(stream);
      // Emscripten's own growth with these 1 MB writes passes through 1, 2, 3, … MB, copying the file each time.
      expect([...capacities]).toEqual([1, 2, 4, 8, 16]);
    } finally {
      await database.close();
    }
  }, 600_000); // an in-memory PGlite start and migrations: 1.5-3 s, minutes on a loaded machine

  it('in a data directory keeps a committed bulk import across a reopen and a crash of the next import, none of whose records show', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tradepipe-caller-pglite-'));
    directories.push(dataDir);
    const first = await PGlite.create({ dataDir });
    const store = await createPgliteStore({ database: first, clock: createManualClock(SECOND_START_MS) });
    await store.writeBulk(minuteCandlesWithSignals(FIRST_START_MS, FIRST_COUNT));
    await store.close();
    await first.close();

    // Another process opens the directory with its own instance and dies (SIGKILL) inside its one-transaction import,
    // once the import has written at least one segment of write-ahead log (16 MB) to the directory.
    const child = spawn(process.execPath, ['--conditions=@tradepipe/source', '--import', 'tsx', 'scripts/write-bulk-and-hang.ts', dataDir, String(SECOND_START_MS), String(SECOND_COUNT)], {
      cwd: packageDir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! });
    const seen: string[] = [];
    lines.on('line', (line) => seen.push(line));
    const [firstLine] = (await once(lines, 'line')) as [string];
    expect(firstLine).toBe('importing');
    const segmentsBefore = await walSegments(dataDir);
    const deadlineMs = Date.now() + 300_000;
    while ([...(await walSegments(dataDir))].every((name) => segmentsBefore.has(name)) && Date.now() < deadlineMs) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(seen).toEqual(['importing']); // killed mid-import, not after its commit

    const reopened = await PGlite.create({ dataDir });
    try {
      expect(await inspect(reopened)).toEqual({ candles: { DONE: FIRST_COUNT }, signals: { DONE: FIRST_COUNT }, persistence: ['p', 'p', 'p'] });
    } finally {
      await reopened.close();
    }
  }, 900_000);
});
