/**
 * A writer for the crash test of a caller's PGlite instance in a data directory: opens the directory with its own
 * PGlite instance, passes it to the store, prints `importing` and writes `count` 1-minute candles with a signal each
 * from `startMs` in one `writeBulk` (one transaction), then prints `committed` and hangs until it is killed (the
 * test sends SIGKILL while the import runs).
 * Usage: node --conditions=@tradepipe/source --import tsx scripts/write-bulk-and-hang.ts <dataDir> <startMs> <count>
 */
import { PGlite } from '@electric-sql/pglite';
import { createManualClock } from '@tradepipe/core';
import { createPgliteStore } from '../src/pglite-store.js';
import { minuteCandlesWithSignals } from '../src/test-bulk-batch.js';

const [dataDir, startMs, count] = process.argv.slice(2);
const batch = minuteCandlesWithSignals(Number(startMs), Number(count));
const database = await PGlite.create({ dataDir: dataDir! });
const store = await createPgliteStore({ database, clock: createManualClock(Number(startMs) + (Number(count) + 60) * 60_000) });
process.stdout.write('importing\n');
await store.writeBulk(batch);
process.stdout.write('committed\n');
setInterval(() => undefined, 60_000);
