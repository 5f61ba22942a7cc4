// Test support for chaos.int.test.ts: one LIVE deployment of the services as child processes on a fresh
// PostgreSQL schema, trading against the fake Coinbase with a CDP key made at test time, and the fake Ollama.
// Reuses the end-to-end helpers (e2e-processes.ts, e2e-candles.ts); nothing here changes them.
import pg from 'pg';
import { TEST_DATABASE, postgresAvailable } from './e2e-database.js';
import { decimal, recordId, type PipelineStore } from '@tradepipe/core';
import { createTestKeyPair, startFakeCoinbase, type FakeCoinbase } from '@tradepipe/coinbase/testing';
import { startFakeOllama, type FakeOllama } from '@tradepipe/llm-validator/testing';
import { createPgStore } from '@tradepipe/storage-pg';
import type { DecisionWindow } from './e2e-candles.js';
import { isRunning, servicePorts, spawnService, stopService, type ServiceProcess } from './e2e-processes.js';
import { SERVICE_NAMES, type ServiceName } from './service-catalog.js';

/** The local PostgreSQL of the test machines (trust auth). */
export const CHAOS_DATABASE = TEST_DATABASE;
export { postgresAvailable };
/** The pipeline id of the chaos deployments (recommendations a test inserts must carry it). */
export const CHAOS_PIPELINE_ID = 'chaos';
const PIPELINE_ID = CHAOS_PIPELINE_ID;
const APPROVAL_SECRET = 'chaos-approval-secret-of-at-least-32-characters';
/** Lease of every claim: a SIGKILLed worker's item is claimable again this long after its last renewal. */
export const CHAOS_LEASE_MS = 2_000;

/** A running live deployment and the handles a chaos case needs. */
export interface LiveDeployment {
  readonly store: PipelineStore;
  readonly coinbase: FakeCoinbase;
  readonly ports: Record<ServiceName, number>;
  /** The recommendation the decision candle becomes. */
  readonly recommendationId: string;
  /** Every process started so far (killed ones included). */
  readonly processes: ServiceProcess[];
  /** Starts (another) process of a service with the deployment's environment. */
  spawn(name: ServiceName): ServiceProcess;
  /** The last lines of every process, for failure messages. */
  logs(lines?: number): string;
  /** Stops what still runs (SIGTERM), closes the fakes and the store, drops the schema. Resolves the exit codes of the processes stopped here. */
  stop(): Promise<(number | null)[]>;
}

/** Where and what a live deployment runs. */
export interface LiveDeploymentOptions {
  /** The PostgreSQL server (default {@link CHAOS_DATABASE}). */
  readonly database?: { readonly host: string; readonly port: number; readonly database: string; readonly user: string };
  /** The services started at once (default the upstream ones and the fill tracker: the executor is the test's). */
  readonly services?: readonly ServiceName[];
  /** More environment for every service (limits, TTLs). */
  readonly env?: Readonly<Record<string, string>>;
}

const UPSTREAM_AND_FILLS: readonly ServiceName[] = ['market-data', 'signal-generator', 'signal-bridge', 'trade-orchestrator', 'risk-management', 'fill-tracker'];

/**
 * Starts the fakes and a fresh schema holding `window.history` (DONE) and the fake's USD balance (what the
 * executor's reconciliation would write), then `options.services` (by default the upstream services and the
 * fill tracker; the trade executor is left to the test).
 */
export async function startLiveDeployment(window: DecisionWindow, label: string, options: LiveDeploymentOptions = {}): Promise<LiveDeployment> {
  const database = options.database ?? CHAOS_DATABASE;
  const schema = `chaos_${label}_${process.pid}_${Date.now() % 1_000_000}`;
  const store = await createPgStore({ ...database, schema, poolSize: 3 });
  const keys = createTestKeyPair();
  let coinbase: FakeCoinbase | undefined;
  let ollama: FakeOllama | undefined;
  const processes: ServiceProcess[] = [];
  const stop = async (): Promise<(number | null)[]> => {
    const running = processes.filter(isRunning);
    const codes = await Promise.all(running.map((service) => stopService(service)));
    running.forEach((service, index) => {
      // Say which process did not drain cleanly, with its last lines, before the assertion reports the codes.
      if (codes[index] !== 0) process.stderr.write(`\n${service.name} exited ${String(codes[index])} on SIGTERM:\n${service.lines.slice(-15).join('\n')}\n`);
    });
    await store.close();
    await coinbase?.close();
    await ollama?.close();
    const client = new pg.Client(database);
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    return codes;
  };
  try {
    await store.putCandles(window.history, { state: 'DONE' });
    const nowMs = Date.now();
    await store.putBalances([{ currency: 'USD', available: decimal('10000'), hold: decimal('0'), updatedAtMs: nowMs }]);
    coinbase = await startFakeCoinbase({ keys: [keys], balances: { USD: '10000' }, enforceRateLimits: false });
    const { decision } = window;
    coinbase.setCandles('BTC-USD', 'ONE_DAY', [
      { start: String(decision.startMs / 1000), open: String(decision.open), high: String(decision.high), low: String(decision.low), close: String(decision.close), volume: String(decision.volume) },
    ]);
    coinbase.setPrice('BTC-USD', decision.close.toFixed(2));
    ollama = await startFakeOllama({ defaultStep: { kind: 'approve' } });
    const allocated = await servicePorts();
    const env: Record<string, string> = {
      ...allocated.env,
      TRADING_MODE: 'live',
      LIVE_TRADING_CONFIRM: 'I_ACCEPT_REAL_MONEY_RISK',
      RISK_APPROVAL_SECRET: APPROVAL_SECRET,
      COINBASE_API_KEY_NAME: keys.name,
      COINBASE_API_PRIVATE_KEY: keys.privateKeyPem,
      COINBASE_BASE_URL: coinbase.url,
      DB_HOST: database.host,
      DB_PORT: String(database.port),
      DB_NAME: database.database,
      DB_USER: database.user,
      STORE_SCHEMA: schema,
      STORE_POOL_SIZE: '3',
      PIPELINE_ID,
      PRODUCTS: 'BTC-USD',
      GRANULARITY: 'ONE_DAY',
      OLLAMA_HOST: ollama.url,
      OLLAMA_MODEL: 'llama3.2',
      PIPELINE_LEASE_MS: String(CHAOS_LEASE_MS),
      PIPELINE_POLL_INTERVAL_MS: '200',
      PIPELINE_ORDER_POLL_INTERVAL_MS: '300',
      EXECUTOR_POLL_INTERVAL_MS: '100',
      DRAIN_TIMEOUT_MS: '3000',
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      HEALTH_TARGETS: SERVICE_NAMES.filter((name) => name !== 'health-monitor')
        .map((name) => `${name}=http://127.0.0.1:${allocated.ports[name]}`)
        .join(','),
      ...options.env,
    };
    const spawn = (name: ServiceName): ServiceProcess => {
      const started = spawnService(name, env);
      processes.push(started);
      return started;
    };
    for (const name of options.services ?? UPSTREAM_AND_FILLS) spawn(name);
    return {
      store,
      coinbase,
      ports: allocated.ports,
      recommendationId: recordId('recommendation', [PIPELINE_ID, 'BTC-USD', 'ONE_DAY', decision.startMs, 'signal']),
      processes,
      spawn,
      logs: (lines = 8) => processes.map((service) => `--- ${service.name} (pid ${service.child.pid ?? '?'})\n${service.lines.slice(-lines).join('\n')}`).join('\n'),
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** Sends SIGKILL to a service process (no drain, no cleanup: the process is gone) and waits for its exit. */
export async function killHard(service: ServiceProcess): Promise<void> {
  service.child.kill('SIGKILL');
  await service.exited;
}
