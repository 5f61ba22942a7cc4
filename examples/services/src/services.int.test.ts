// The deployed mode end to end: the eight services as separate processes over one PostgreSQL schema, with
// the fake Coinbase and the fake Ollama. A candle enters through market-data and becomes an EXECUTED paper
// order, handed from stage to stage only through the database.
import { generateKeyPairSync } from 'node:crypto';
import pg from 'pg';
import { TEST_DATABASE, postgresAvailable } from './e2e-database.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOrderIdFor, recordId, type PipelineStore } from '@tradepipe/core';
import { startFakeCoinbase, type FakeCoinbase } from '@tradepipe/coinbase/testing';
import { startFakeOllama, type FakeOllama } from '@tradepipe/llm-validator/testing';
import { createPgStore } from '@tradepipe/storage-pg';
import { MIDNIGHT_MARGIN_MS, findBuyWindow, nowClearOfUtcMidnight, type DecisionWindow } from './e2e-candles.js';
import {
  SETTLE_BUDGET_MS,
  START_BUDGET_MS,
  STOP_BUDGET_MS,
  freePort,
  get,
  isRunning,
  reportedDrainMs,
  servicePorts,
  spawnService,
  stopService,
  waitFor,
  waitReady,
  type ServiceProcess,
} from './e2e-processes.js';
import { SERVICE_NAMES, type ServiceName } from './service-catalog.js';

const DATABASE = TEST_DATABASE;
const SCHEMA = `services_e2e_${process.pid}_${Date.now() % 1_000_000}`;
const PIPELINE_ID = 'e2e';
/** The deployment's approval keys: risk-management signs with the private key, trade-executor and fill-tracker verify with the public one. */
const APPROVAL_KEYS = generateKeyPairSync('ed25519');
const APPROVAL_PRIVATE_KEY = APPROVAL_KEYS.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const APPROVAL_PUBLIC_KEY = APPROVAL_KEYS.publicKey.export({ type: 'spki', format: 'pem' }).toString();
/** A service's approval key, as the manifests give it: the private key to risk-management alone. */
const approvalKeyOf = (name: string): Record<string, string> =>
  name === 'risk-management' ? { RISK_APPROVAL_PRIVATE_KEY: APPROVAL_PRIVATE_KEY } : name === 'trade-executor' || name === 'fill-tracker' ? { RISK_APPROVAL_PUBLIC_KEY: APPROVAL_PUBLIC_KEY } : {};
/** Long on purpose: a service that waits out its drain instead of stopping shows against it. */
const DRAIN_TIMEOUT_MS = 60_000;

const available = await postgresAvailable();
if (!available) {
  const message = `PostgreSQL is not reachable at ${DATABASE.host}:${DATABASE.port}/${DATABASE.database}: the services end-to-end test is SKIPPED`;
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') throw new Error(`${message} (and CI is set, so this fails)`);
  process.stderr.write(`\n!!! ${message}\n\n`);
}

describe.skipIf(!available)('services over PostgreSQL (child processes)', () => {
  let store: PipelineStore;
  let coinbase: FakeCoinbase;
  let ollama: FakeOllama;
  let window: DecisionWindow;
  let ports: Record<ServiceName, number>;
  const processes: ServiceProcess[] = [];
  const replicaPorts: number[] = [];
  const portOf = (service: ServiceProcess, index: number): number => (index < SERVICE_NAMES.length ? ports[service.name] : replicaPorts[index - SERVICE_NAMES.length]!);

  beforeAll(async () => {
    window = await findBuyWindow(await nowClearOfUtcMidnight());
    store = await createPgStore({ ...DATABASE, schema: SCHEMA, poolSize: 3 });
    await store.putCandles(window.history, { state: 'DONE' });
    coinbase = await startFakeCoinbase({ enforceRateLimits: false });
    const { decision } = window;
    coinbase.setCandles('BTC-USD', 'ONE_DAY', [
      { start: String(decision.startMs / 1000), open: String(decision.open), high: String(decision.high), low: String(decision.low), close: String(decision.close), volume: String(decision.volume) },
    ]);
    coinbase.setPrice('BTC-USD', decision.close.toFixed(2));
    ollama = await startFakeOllama({ defaultStep: { kind: 'approve' } });
    const allocated = await servicePorts();
    ports = allocated.ports;
    const env: Record<string, string> = {
      ...allocated.env,
      DB_HOST: DATABASE.host,
      DB_PORT: String(DATABASE.port),
      DB_NAME: DATABASE.database,
      DB_USER: DATABASE.user,
      STORE_SCHEMA: SCHEMA,
      STORE_POOL_SIZE: '3',
      PIPELINE_ID,
      PRODUCTS: 'BTC-USD',
      GRANULARITY: 'ONE_DAY',
      COINBASE_BASE_URL: coinbase.url,
      OLLAMA_HOST: ollama.url,
      OLLAMA_MODEL: 'llama3.2',
      PIPELINE_POLL_INTERVAL_MS: '250',
      DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
      HTTP_HOST: '127.0.0.1',
      HEALTH_TARGETS: SERVICE_NAMES.filter((name) => name !== 'health-monitor')
        .map((name) => `${name}=http://127.0.0.1:${ports[name]}`)
        .join(','),
      LOG_LEVEL: 'info',
    };
    for (const name of SERVICE_NAMES) processes.push(spawnService(name, { ...env, ...approvalKeyOf(name) }));
    // Second replicas of validation and risk, as in the manifests: they share the work through SKIP LOCKED claims.
    for (const [name, variable] of [
      ['trade-orchestrator', 'TRADE_ORCHESTRATOR_PORT'],
      ['risk-management', 'RISK_MANAGEMENT_PORT'],
    ] as const) {
      const port = await freePort(new Set([...Object.values(ports), ...replicaPorts]));
      replicaPorts.push(port);
      processes.push(spawnService(name, { ...env, ...approvalKeyOf(name), [variable]: String(port) }));
    }
    await Promise.all(processes.map((service, index) => waitReady(service, portOf(service, index))));
  }, START_BUDGET_MS + 60_000 + MIDNIGHT_MARGIN_MS);

  afterAll(async () => {
    // Only after a failed test do processes still run here: end them without asking.
    for (const service of processes.filter(isRunning)) service.child.kill('SIGKILL');
    await Promise.all(processes.map((service) => service.exited));
    await store?.close();
    await coinbase?.close();
    await ollama?.close();
    const client = new pg.Client(DATABASE);
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await client.end();
  }, STOP_BUDGET_MS);

  it('hands a candle from market-data through every stage to an EXECUTED paper order', async () => {
    const { decision } = window;
    const recommendationId = recordId('recommendation', [PIPELINE_ID, 'BTC-USD', 'ONE_DAY', decision.startMs, 'signal']);
    const finished = await waitFor(
      'the recommendation to finish',
      async () => {
        const found = await store.getRecommendation(recommendationId);
        return found !== undefined && ['EXECUTED', 'REJECTED', 'FAILED', 'EXPIRED', 'DEAD_LETTER'].includes(found.status.state) ? found : undefined;
      },
      SETTLE_BUDGET_MS,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${processes.map((service) => `--- ${service.name}\n${service.lines.slice(-8).join('\n')}`).join('\n')}`);
    });
    expect(finished.status.reason ?? '').toBe('');
    expect(finished.status.state).toBe('EXECUTED');
    expect(await store.getCandle('BTC-USD', 'ONE_DAY', decision.startMs)).toMatchObject({ close: decision.close });
    expect((await store.getWorkStatus('candle', `BTC-USD/ONE_DAY/${decision.startMs}`))?.state).toBe('DONE');
    const signal = await store.getSignal(recordId('signal', [PIPELINE_ID, 'BTC-USD', 'ONE_DAY', decision.startMs]));
    expect(signal).toMatchObject({ action: 'BUY' });
    const validations = await store.listValidations(recommendationId);
    expect(validations.map((validation) => `${validation.validator}:${validation.decision}`).sort()).toEqual(['ollama:APPROVE', 'rules:APPROVE']);
    // Two orchestrator replicas, one question to Ollama: the recommendation was claimed once.
    expect(ollama.stats().generations).toBe(1);
    expect(await store.getRiskAssessment(recommendationId)).toMatchObject({ decision: 'APPROVE' });
    expect(await store.getApproval(recommendationId)).toBeDefined();
    const order = await store.getOrderByClientOrderId(clientOrderIdFor(recommendationId));
    expect(order).toMatchObject({ status: 'EXECUTED', venue: 'paper', side: 'BUY' });
    expect(await store.listFills(order!.id)).toHaveLength(1);
    expect(coinbase.orders()).toHaveLength(0);
    const logs = processes.flatMap((service) => service.lines);
    expect(logs.length).toBeGreaterThan(0);
    // The private key never reaches a log line (nor a piece of it: its base64 body's longest line).
    const keyBody = APPROVAL_PRIVATE_KEY.split('\n').filter((line) => line !== '' && !line.startsWith('-----')).join('');
    expect(logs.filter((line) => line.includes(keyBody) || line.includes('BEGIN PRIVATE KEY'))).toEqual([]);
    // The approval was signed with the Ed25519 key risk-management alone holds, and verified by the executor.
    expect(await store.getApproval(recommendationId)).toMatchObject({ algorithm: 'Ed25519' });
    expect(logs.every((line) => typeof JSON.parse(line) === 'object')).toBe(true);
  }, SETTLE_BUDGET_MS + 60_000);

  it('answers /health, /ready and /metrics on every port, and the monitor aggregates all services', async () => {
    for (const port of replicaPorts) expect((await get(port, '/health')).status).toBe(200);
    for (const name of SERVICE_NAMES) {
      const health = await get(ports[name], '/health');
      expect(health.status, `${name} /health: ${health.body}`).toBe(200);
      expect(JSON.parse(health.body)).toMatchObject({ service: name });
      const metrics = await get(ports[name], '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('tradepipe_queue_depth{kind="recommendation",state="EXECUTED"');
    }
    const report = JSON.parse((await get(ports['health-monitor'], '/health')).body) as { checks: { name: string; status: string }[] };
    expect(report.checks.filter((check) => check.name.startsWith('service:')).map((check) => check.name).sort()).toEqual(
      SERVICE_NAMES.filter((name) => name !== 'health-monitor').map((name) => `service:${name}`).sort(),
    );
    const processed = async (name: ServiceName, stage: string): Promise<string | undefined> =>
      (await get(ports[name], '/metrics')).body.split('\n').find((line) => line.startsWith(`tradepipe_items_processed_total{stage="${stage}"`));
    for (const [name, stage] of [
      ['signal-generator', 'signal'],
      ['signal-bridge', 'bridge'],
      ['trade-executor', 'execution'],
    ] as const) {
      expect(await processed(name, stage), `${name} processed`).toMatch(/ [1-9]\d*$/);
    }
    // Validation and risk ran in one of their two replicas each.
    const count = (line: string | undefined): number => Number(line?.split(' ').at(-1) ?? 0);
    const replicaCount = async (port: number, stage: string): Promise<number> =>
      count((await get(port, '/metrics')).body.split('\n').find((line) => line.startsWith(`tradepipe_items_processed_total{stage="${stage}"`)));
    expect(count(await processed('trade-orchestrator', 'validation')) + (await replicaCount(replicaPorts[0]!, 'validation'))).toBe(1);
    expect(count(await processed('risk-management', 'risk')) + (await replicaCount(replicaPorts[1]!, 'risk'))).toBe(1);
  }, SETTLE_BUDGET_MS);

  it('stops every service on SIGTERM with code 0, each well before its drain timeout', async () => {
    const codes = await Promise.all(processes.map((service) => stopService(service)));
    const drains = processes.map((service) => ({ service: service.name, drainMs: reportedDrainMs(service) }));
    process.stderr.write(`services: drained on SIGTERM in ${drains.map(({ service, drainMs }) => `${service} ${drainMs} ms`).join(', ')} (DRAIN_TIMEOUT_MS ${DRAIN_TIMEOUT_MS})\n`);
    expect(codes).toEqual(processes.map(() => 0));
    for (const { service, drainMs } of drains) expect(drainMs, service).toBeLessThan(DRAIN_TIMEOUT_MS / 2);
  }, STOP_BUDGET_MS + 60_000);
});
