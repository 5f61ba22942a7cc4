// The market-data service on SIGTERM: it has no work item to finish, so it must stop at once — while
// following live candles and in the middle of its backfill — instead of waiting out DRAIN_TIMEOUT_MS.
// Load-proof: the drain time is read from the service's own log (`service stopping` → `service stopped`)
// and only compared with the drain timeout it was given; waits are on readiness and on exit.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeCoinbase, type FakeCoinbase } from '@tradepipe/coinbase/testing';
import { createPgStore } from '@tradepipe/storage-pg';
import type { PipelineStore } from '@tradepipe/core';
import { TEST_DATABASE, postgresAvailable } from './e2e-database.js';
import { SETTLE_BUDGET_MS, isRunning, reportedDrainMs, servicePorts, spawnService, stopService, waitFor, waitReady, type ServiceProcess } from './e2e-processes.js';

const DRAIN_TIMEOUT_MS = 60_000;
const available = await postgresAvailable();
if (!available) {
  const message = `PostgreSQL is not reachable at ${TEST_DATABASE.host}:${TEST_DATABASE.port}/${TEST_DATABASE.database}: the market-data shutdown test is SKIPPED`;
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') throw new Error(`${message} (and CI is set, so this fails)`);
  process.stderr.write(`\n!!! ${message}\n\n`);
}

describe.skipIf(!available)('market-data on SIGTERM (child process, fake Coinbase, PostgreSQL)', () => {
  let coinbase: FakeCoinbase | undefined;
  let store: PipelineStore | undefined;
  let schema = '';
  let service: ServiceProcess | undefined;

  afterEach(async () => {
    if (service !== undefined && isRunning(service)) service.child.kill('SIGKILL');
    await service?.exited;
    await store?.close();
    await coinbase?.close();
    const client = new pg.Client(TEST_DATABASE);
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }, 60_000);

  async function start(label: string, backfillCandles: number, latencyMs = 0): Promise<{ service: ServiceProcess; port: number }> {
    schema = `market_data_${label}_${process.pid}_${Date.now() % 1_000_000}`;
    coinbase = await startFakeCoinbase({ enforceRateLimits: false });
    coinbase.faults.latency(latencyMs);
    store = await createPgStore({ ...TEST_DATABASE, schema, poolSize: 2 });
    const { ports, env } = await servicePorts();
    service = spawnService('market-data', {
      ...env,
      DB_HOST: TEST_DATABASE.host,
      DB_PORT: String(TEST_DATABASE.port),
      DB_NAME: TEST_DATABASE.database,
      DB_USER: TEST_DATABASE.user,
      STORE_SCHEMA: schema,
      STORE_POOL_SIZE: '2',
      PRODUCTS: 'BTC-USD',
      GRANULARITY: 'ONE_DAY',
      COINBASE_BASE_URL: coinbase.url,
      BACKFILL_CANDLES: String(backfillCandles),
      DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
      HTTP_HOST: '127.0.0.1',
    });
    const port = ports['market-data'];
    await waitReady(service, port);
    return { service, port };
  }

  async function terminate(running: ServiceProcess): Promise<{ code: number | null; drainMs: number }> {
    const code = await stopService(running);
    const drainMs = reportedDrainMs(running);
    process.stderr.write(`market-data: drained in ${drainMs} ms (DRAIN_TIMEOUT_MS ${DRAIN_TIMEOUT_MS})\n`);
    return { code, drainMs };
  }

  it('stops at once while following live candles', async () => {
    const { service: running } = await start('live', 30);
    // The backfill is stored: the service now follows the open candle (REST polling for ONE_DAY).
    await waitFor('the backfill to be stored', async () => ((await store!.getLatestCandle('BTC-USD', 'ONE_DAY')) === undefined ? undefined : true), SETTLE_BUDGET_MS);
    const { code, drainMs } = await terminate(running);
    expect(code).toBe(0);
    expect(drainMs).toBeLessThan(DRAIN_TIMEOUT_MS / 2);
  }, 600_000);

  it('stops at once in the middle of its backfill', async () => {
    const backfillCandles = 1_500;
    // Every exchange answer takes 10 s: the backfill of 1,500 daily candles needs five pages (50 s).
    const { service: running } = await start('backfill', backfillCandles, 10_000);
    await waitFor('a backfill page to be requested', async () => (coinbase!.requests.some((request) => request.path.endsWith('/candles')) ? true : undefined), SETTLE_BUDGET_MS);
    const { code, drainMs } = await terminate(running);
    expect(code).toBe(0);
    expect(drainMs).toBeLessThan(DRAIN_TIMEOUT_MS / 2);
    const client = new pg.Client(TEST_DATABASE);
    await client.connect();
    const { rows } = await client.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${schema}.crypto_prices`);
    await client.end();
    expect(rows[0]!.count).toBeLessThan(backfillCandles);
  }, 600_000);
});
