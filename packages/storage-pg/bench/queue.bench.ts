/**
 * Queue hand-off: claim + complete throughput with 2 concurrent workers (two stores, as two replicas),
 * ordered candle claims completed with a signal write each, on the server and on PGlite, beside the
 * in-memory store running the same workload in the same run.
 * Run: npm run bench -w @tradepipe/storage-pg   (BENCH_QUICK=1 for a short run)
 */
import { createMemoryStore, type PipelineStore } from '@tradepipe/core';
import { testSignal } from '@tradepipe/core/testing';
import { createPgStore, createPgliteStore } from '../src/index.js';
import pg from 'pg';
import { DATABASE_URL, QUICK, minuteCandles, printTable } from './bench-support.js';

const PRODUCTS = 20;
const PER_PRODUCT = QUICK ? 25 : 150;
const ITEMS = PRODUCTS * PER_PRODUCT;

async function seed(store: PipelineStore): Promise<void> {
  for (let product = 0; product < PRODUCTS; product += 1) await store.putCandles(minuteCandles(PER_PRODUCT, `Q${product}-USD`));
}

async function worker(store: PipelineStore, name: string): Promise<number> {
  let done = 0;
  for (;;) {
    const claims = await store.claim({ kind: 'candle', state: 'PENDING', workerId: name, leaseMs: 30_000, limit: 10, ordered: true });
    if (claims.length === 0) {
      // Every partition's head may be leased by the other worker: wait for a completion, stop when all is done.
      if ((await store.countByState('candle')).PENDING === undefined) return done;
      await store.waitForWork('candle', { timeoutMs: 20 });
      continue;
    }
    for (const claim of claims) {
      const [productId] = claim.partitionKey.split('/');
      const signal = testSignal({ productId: productId!, granularity: 'ONE_MINUTE', candleStartMs: Number(claim.id.split('/')[2]) });
      await store.complete(claim, { state: 'DONE', writes: [{ type: 'signal', record: signal }] });
      done += 1;
    }
  }
  return done;
}

async function itemsPerSecond(stores: readonly [PipelineStore, PipelineStore]): Promise<number> {
  await seed(stores[0]);
  const startedAt = performance.now();
  const counts = await Promise.all([worker(stores[0], 'a'), worker(stores[1], 'b')]);
  const elapsedMs = performance.now() - startedAt;
  if (counts[0] + counts[1] !== ITEMS) throw new Error(`processed ${counts[0] + counts[1]} of ${ITEMS}`);
  return (ITEMS / elapsedMs) * 1000;
}

const memory = createMemoryStore();
const memoryRate = await itemsPerSecond([memory, memory]);

const schema = `tp_bench_queue_${process.pid}`;
const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
const replicas = [await createPgStore({ connectionString: DATABASE_URL, schema, poolSize: 3 }), await createPgStore({ connectionString: DATABASE_URL, schema, poolSize: 3 })] as const;
const serverRate = await itemsPerSecond(replicas);
for (const replica of replicas) await replica.close();
await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
await admin.end();

const embedded = await createPgliteStore();
const pgliteRate = await itemsPerSecond([embedded, embedded]);
await embedded.close();

printTable(`Claim + complete (with a signal write), 2 workers, ${ITEMS.toLocaleString('en-US')} candles in ${PRODUCTS} partitions, ordered claims`, [
  { measure: 'server: 2 replicas', value: serverRate, unit: 'items/s', reference: { name: 'memory store', value: memoryRate }, target: 500 },
  { measure: 'PGlite: 2 workers, one store', value: pgliteRate, unit: 'items/s', reference: { name: 'memory store', value: memoryRate } },
]);
