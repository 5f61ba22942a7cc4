import { describeStoreConformance } from '@tradepipe/core/testing';
import { afterAll, describe } from 'vitest';
import { openTestPool, pgStoreFactory } from './test-database.js';

const pool = await openTestPool();

afterAll(async () => {
  await pool?.end();
});

// The suite runs twice: with a manual clock (every "now" passed to SQL as a parameter) and on the
// database's own clock (`clock_timestamp()`), where the lease and expiry tests wait real time.
describe.runIf(pool !== undefined)('PostgreSQL server', () => {
  if (pool === undefined) return;
  describeStoreConformance('postgres, manual clock', pgStoreFactory(pool, 'conformance', { manualClock: true }));
  describeStoreConformance('postgres, database clock', pgStoreFactory(pool, 'conformance_db', { manualClock: false }));
});
