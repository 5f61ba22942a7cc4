// `tradepipe dev` as a user runs it: the built bin as a child process, the whole stack on free ports, waited on
// through /ready and /status.json (never fixed sleeps), then Ctrl-C. Once in this process on PGlite, once as
// separate processes over PostgreSQL at 127.0.0.1:5432 (database `test`, a schema of its own).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { candleCloseMs, parseCandleCsv, toApproxNumber, type Candle, type DecimalString } from '@tradepipe/core';
import { SERVICE_NAMES } from '@tradepipe/example-services';
import { devPorts } from './dev/dev-env.js';
import { DevSnapshotSchema, type DevSnapshot } from './dev/dev-watch.js';
import { lastClosedCandle } from './dev/replay-market.js';
import { TEST_DATABASE_URL as DATABASE_URL, postgresForTest } from './test-postgres.js';

const packageDirectory = fileURLToPath(new URL('..', import.meta.url));
const bin = join(packageDirectory, 'dist', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'tradepipe-dev-test-'));
/** Budget for the stack to start and to show both an executed order and a rejection (a busy machine is slow). */
const TRADING_BUDGET_MS = 300_000;
const candles: Candle[] = parseCandleCsv({ text: readFileSync(join(packageDirectory, '../../data/btc-usd-1d.csv'), 'utf8'), productId: 'BTC-USD', granularity: 'ONE_DAY' }).sort((a, b) => a.startMs - b.startMs);

const available = await postgresForTest("'tradepipe dev --database-url'");

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port base whose nine ports (base … base + 8) are free now, below Linux's ephemeral range (32768 and up): the
 * ports the system hands out to the other test files running meanwhile (a fake exchange's, a client's) are never
 * among them between this check and the command binding them.
 */
async function freePortBase(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const ports = Object.values(devPorts(base));
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, describe: () => string): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}\n${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

interface DevRun {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
  readonly ports: Record<(typeof SERVICE_NAMES)[number], number>;
  readonly logs: string;
}

function startDev(args: readonly string[], base: number, label: string): DevRun {
  const logs = join(work, `logs-${label}`);
  const child = spawn(process.execPath, [bin, 'dev', '--port-base', String(base), '--logs', logs, ...args], { cwd: work, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout, stderr, exited, ports: devPorts(base), logs };
}

const describeRun = (run: DevRun) => (): string => `stdout:\n${run.stdout.slice(-30).join('\n')}\nstderr:\n${run.stderr.slice(-30).join('\n')}`;

async function snapshot(run: DevRun): Promise<DevSnapshot | undefined> {
  const response = await fetch(`http://127.0.0.1:${run.ports['health-monitor']}/status.json`, { signal: AbortSignal.timeout(5_000) });
  return response.status === 200 ? DevSnapshotSchema.parse(await response.json()) : undefined;
}

/** Waits until every service answers /ready and the status page shows an EXECUTED order and a REJECTED recommendation with its reason. */
async function watchTrading(run: DevRun): Promise<DevSnapshot> {
  const startedAtMs = performance.now();
  for (const name of SERVICE_NAMES) {
    await waitFor(`${name} /ready`, async () => ((await fetch(`http://127.0.0.1:${run.ports[name]}/ready`, { signal: AbortSignal.timeout(5_000) })).status === 200 ? true : undefined), TRADING_BUDGET_MS, describeRun(run));
  }
  const page = await fetch(`http://127.0.0.1:${run.ports['health-monitor']}/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('LightweightCharts');
  const remainingMs = TRADING_BUDGET_MS - (performance.now() - startedAtMs);
  return waitFor(
    'an EXECUTED order and a REJECTED recommendation on /status.json',
    async () => {
      const found = await snapshot(run);
      const executed = found?.orders.some((order) => order.status === 'EXECUTED');
      const rejected = found?.recommendations.some((recommendation) => recommendation.state === 'REJECTED' && (recommendation.reason ?? '') !== '');
      return executed === true && rejected === true ? found : undefined;
    },
    remainingMs,
    describeRun(run),
  );
}

/**
 * Every executed order filled within 1 % of a replayed close: that of the last candle closed when the order was
 * created, or of the next one (on a busy machine a simulated day may pass between the intent and the fill).
 */
function expectFillsNearReplayedCloses(found: DevSnapshot): void {
  for (const order of found.orders.filter((candidate) => candidate.status === 'EXECUTED')) {
    const candle = lastClosedCandle(candles, order.createdAtMs);
    expect(candle, `a candle closed before ${order.createdAtMs}`).toBeDefined();
    expect(candleCloseMs(candle!)).toBeLessThanOrEqual(order.createdAtMs);
    const next = candles[candles.indexOf(candle!) + 1];
    const fillPrice = toApproxNumber(order.averageFillPrice as DecimalString);
    const distance = Math.min(...[candle!, next].flatMap((nearby) => (nearby === undefined ? [] : [Math.abs(fillPrice / nearby.close - 1)])));
    expect(distance, `order ${order.id} at ${order.averageFillPrice}, closes ${candle!.close} and ${next?.close}`).toBeLessThan(0.01);
  }
}

/** Waits until the command has printed a line matching `pattern` (it prints from /status.json once a second). */
function printed(run: DevRun, pattern: RegExp): Promise<true> {
  return waitFor(`a line matching ${String(pattern)}`, async () => (run.stdout.some((line) => pattern.test(line)) ? true : undefined), 30_000, describeRun(run));
}

async function interruptAndCheck(run: DevRun): Promise<void> {
  run.child.kill('SIGINT');
  const code = await waitFor('the command to exit', async () => (run.child.exitCode !== null || run.child.signalCode !== null ? run.exited : undefined), 120_000, describeRun(run));
  expect(code, describeRun(run)()).toBe(0);
  expect(run.stdout.at(-1)).toMatch(/stopped/);
  for (const port of Object.values(run.ports)) expect(await portFree(port), `port ${port} released`).toBe(true);
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('tradepipe dev (the built bin)', () => {
  it('on PGlite, in one process: prints the status page first, trades on paper within the budget, stops cleanly on Ctrl-C', async () => {
    const base = await freePortBase();
    const run = startDev([], base, 'pglite');
    try {
      const found = await watchTrading(run);
      expect(run.stdout[0]).toBe(`status page: http://127.0.0.1:${base + 8}/`);
      await printed(run, /order BUY EXECUTED: [\d.]+ BTC at [\d.]+, fees \$[\d.]+/);
      await printed(run, /recommendation .* → REJECTED: \S+/);
      expectFillsNearReplayedCloses(found);
      // The status page reads the simulated clock: past the replay's start, before the bundled file's end.
      expect(found.generatedAtMs).toBeGreaterThan(Date.UTC(2024, 10, 8));
      expect(found.generatedAtMs).toBeLessThan(Date.UTC(2025, 11, 31));
      await interruptAndCheck(run);
      expect(run.stderr.filter((line) => line.startsWith('tradepipe:'))).toEqual([]);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  }, TRADING_BUDGET_MS + 180_000);

  it.skipIf(!available)('over PostgreSQL, as separate processes on one dev clock, the live executor against the fake: trades, then SIGINT drains every process and drops its schema', async () => {
    const base = await freePortBase();
    const schema = `devtest_${process.pid}_${Date.now() % 1_000_000}`;
    const run = startDev(['--database-url', DATABASE_URL, '--schema', schema, '--live-against-fake', '--json'], base, 'postgres');
    try {
      const found = await watchTrading(run);
      await printed(run, /"event":"order".*"status":"EXECUTED"/);
      const events = run.stdout.map((line) => JSON.parse(line) as { event: string; pids?: number[]; statusUrl?: string; mode?: string });
      expect(events[0]).toMatchObject({ event: 'starting', statusUrl: `http://127.0.0.1:${base + 8}/`, mode: 'live-against-fake' });
      const pids = events.find((event) => event.event === 'ready')?.pids ?? [];
      expect(pids).toHaveLength(SERVICE_NAMES.length);
      expectFillsNearReplayedCloses(found);
      await interruptAndCheck(run);
      for (const pid of pids) expect(() => process.kill(pid, 0), `service process ${pid} is gone`).toThrow();
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      const left = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema]);
      await client.end();
      expect(left.rowCount).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  }, TRADING_BUDGET_MS + 180_000);
});
