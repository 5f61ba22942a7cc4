// `tradepipe dev`: every service of the design locally, against the fake Coinbase and the fake Ollama, replaying the
// bundled candles on a fast clock that the stages, the store and the fake exchange share.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { TradepipeError, parseCandleCsv, systemClock, type Candle } from '@tradepipe/core';
import { createPgStore } from '@tradepipe/storage-pg';
import { createScaledClock, SERVICE_NAMES, type ScaledClock, type ServiceName } from '@tradepipe/example-services';
import { bundledCandlesPath } from '../bundled-data.js';
import type { CliIo, GlobalFlags } from '../io.js';
import { prepareDevSchema, type DevSchema } from './dev-database.js';
import { devPorts, devServiceEnv } from './dev-env.js';
import { seedHistory, seedStore } from './dev-history.js';
import { openDevLogs, type DevLogs } from './dev-logs.js';
import { openInProcessStore, startInProcess, startProcesses, type DevServiceFailure, type DevServices } from './dev-services.js';
import { createEventTracker, fetchSnapshot, summarize, type DevEvent, type DevSnapshot } from './dev-watch.js';
import { startReplayMarket, type ReplayMarket } from './replay-market.js';

/** What `tradepipe dev` was asked for. */
export interface DevSettings {
  /** Where the replay (the dev clock) starts, epoch ms. */
  readonly fromMs: number;
  /** Simulated ms per wall-clock ms. */
  readonly rate: number;
  readonly portBase: number;
  /** Separate processes over this PostgreSQL server, in `schema`; PGlite in this process when absent. */
  readonly database?: { readonly url: string; readonly schema: string; readonly keep: boolean };
  /** Run the live executor against the fake exchange. */
  readonly liveAgainstFake: boolean;
  /** Where the services' logs go. */
  readonly logsDirectory: string;
}

const DAY_MS = 86_400_000;

/** Fails with `config_invalid` naming the first port another program holds. */
async function checkPortsFree(ports: readonly number[]): Promise<void> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) throw new TradepipeError('config_invalid', `port ${port} is in use (another tradepipe dev?): stop it, or choose --port-base`);
  }
}

async function loadReplayCandles(fromMs: number): Promise<Candle[]> {
  const candles = parseCandleCsv({ text: await readFile(bundledCandlesPath(), 'utf8'), productId: 'BTC-USD', granularity: 'ONE_DAY' }).sort((a, b) => a.startMs - b.startMs);
  const first = candles[0]!.startMs;
  const last = candles.at(-1)!.startMs;
  if (fromMs < first + 760 * DAY_MS || fromMs > last) {
    throw new TradepipeError('config_invalid', `--from must lie between ${day(first + 760 * DAY_MS)} (750 candles of history before it) and ${day(last)}, the bundled file's last candle`);
  }
  return candles;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Writes a line for people, or a JSON line with --json. */
function emitter(io: CliIo, flags: GlobalFlags): (event: string, text: string, data?: Readonly<Record<string, unknown>>) => void {
  return (event, text, data = {}) => void io.stdout.write(flags.json ? `${JSON.stringify({ event, ...data })}\n` : `${text}\n`);
}

function describeServices(settings: DevSettings, ports: Readonly<Record<ServiceName, number>>): string {
  const where = settings.database === undefined ? 'in this process on PGlite (in memory)' : `as ${SERVICE_NAMES.length} processes on PostgreSQL, schema ${settings.database.schema}`;
  return `${where}: ${SERVICE_NAMES.map((name) => `${name} :${ports[name]}`).join(', ')}`;
}

interface Started {
  market?: ReplayMarket;
  schema?: DevSchema;
  services?: DevServices;
  logs?: DevLogs;
}

/** Stops what was started, in reverse: the services (drained), the fakes, the schema, the log files. */
async function stopAll(started: Started, settings: DevSettings): Promise<string[]> {
  const problems = (await started.services?.stop()) ?? [];
  await started.market?.close().catch((error: unknown) => void problems.push(`fakes: ${String(error)}`));
  if (started.schema !== undefined && settings.database?.keep !== true) await started.schema.drop().catch((error: unknown) => void problems.push(`dropping schema ${started.schema!.schema}: ${String(error)}`));
  await started.logs?.close();
  return problems;
}

async function startStack(settings: DevSettings, io: CliIo, clock: ScaledClock, candles: readonly Candle[], started: Started): Promise<void> {
  const ports = devPorts(settings.portBase);
  started.logs = openDevLogs(settings.logsDirectory);
  started.market = await startReplayMarket({ candles, clock, live: settings.liveAgainstFake });
  const history = seedHistory(candles, settings.fromMs);
  if (settings.database !== undefined) {
    started.schema = await prepareDevSchema(settings.database.url, settings.database.schema);
    const store = await createPgStore({ connectionString: settings.database.url, schema: settings.database.schema, poolSize: 2, applicationName: 'tradepipe-dev', clock });
    await seedStore(store, history).finally(() => store.close());
  }
  const env = devServiceEnv({
    clock,
    ports,
    coinbaseUrl: started.market.coinbase.url,
    ollamaUrl: started.market.ollama.url,
    approvalSecret: randomBytes(32).toString('base64url'),
    ...(settings.database === undefined ? {} : { database: settings.database }),
    ...(started.market.liveKey === undefined ? {} : { liveKey: started.market.liveKey }),
    inherited: io.env,
  });
  if (settings.database === undefined) {
    const store = await openInProcessStore(clock, started.logs);
    await seedStore(store, history).catch(async (error: unknown) => {
      await store.close();
      throw error;
    });
    started.services = await startInProcess({ store, env, clock, logs: started.logs, signal: io.signal });
  } else {
    started.services = startProcesses({ env, logs: started.logs });
  }
  await started.services.ready(ports, io.signal);
}

/** Polls the status page's data and prints what happened, until `signal` aborts or a service fails. */
async function watch(input: { readonly port: number; readonly io: CliIo; readonly emit: ReturnType<typeof emitter>; readonly failure: Promise<DevServiceFailure>; readonly lastCloseMs: number; readonly readyAtMs: number }): Promise<{ failure?: DevServiceFailure; last?: DevSnapshot }> {
  const tracker = createEventTracker({ signalsFromMs: input.readyAtMs });
  let failed: DevServiceFailure | undefined;
  void input.failure.then((failure) => (failed = failure));
  let last: DevSnapshot | undefined;
  let endAnnounced = false;
  while (!input.io.signal.aborted && failed === undefined) {
    try {
      last = await fetchSnapshot(input.port, input.io.signal);
      for (const event of tracker.next(last)) input.emit(event.kind, `${stamp(event)} ${event.text}`, { atMs: event.atMs, ...event.data });
      if (!endAnnounced && last.generatedAtMs > input.lastCloseMs) {
        endAnnounced = true;
        input.emit('end-of-data', `the replay passed the last bundled candle (${day(input.lastCloseMs - DAY_MS)}): nothing new will trade; Ctrl-C stops everything`);
      }
    } catch {
      // The monitor is busy or restarting: ask again at the next tick.
    }
    await systemClock.sleep(1_000, input.io.signal).catch(() => undefined);
  }
  return { ...(failed === undefined ? {} : { failure: failed }), ...(last === undefined ? {} : { last }) };
}

const stamp = (event: DevEvent): string => `[${new Date(event.atMs).toISOString().slice(0, 16).replace('T', ' ')}]`;

/**
 * Runs the dev stack until Ctrl-C (SIGINT) or SIGTERM aborts `io.signal`, then drains and stops everything.
 * @returns 0 after a clean stop, 1 when a service failed or did not stop cleanly
 * @throws TradepipeError `config_invalid` (ports in use, bad range, existing schema), `storage_unavailable`, a service's start error
 */
export async function runDevStack(settings: DevSettings, io: CliIo, flags: GlobalFlags): Promise<number> {
  const emit = emitter(io, flags);
  const ports = devPorts(settings.portBase);
  const statusUrl = `http://127.0.0.1:${ports['health-monitor']}/`;
  await checkPortsFree(Object.values(ports));
  const candles = await loadReplayCandles(settings.fromMs);
  const clock = createScaledClock({ startMs: settings.fromMs, epochMs: systemClock.nowMs(), rate: settings.rate });
  emit('starting', `status page: ${statusUrl}`, { statusUrl, ports, logs: settings.logsDirectory, fromMs: settings.fromMs, rate: settings.rate, mode: settings.liveAgainstFake ? 'live-against-fake' : 'paper' });
  const started: Started = {};
  let outcome: { failure?: DevServiceFailure; last?: DevSnapshot } = {};
  try {
    await startStack(settings, io, clock, candles, started);
    printHeader({ settings, io, flags, ports, market: started.market!, startedAtMs: clock.epochMs, pids: started.services!.pids });
    if (!io.signal.aborted) outcome = await watch({ port: ports['health-monitor'], io, emit, failure: started.services!.failure, lastCloseMs: started.market!.lastCloseMs, readyAtMs: clock.nowMs() });
  } catch (error) {
    if (!io.signal.aborted) {
      await stopAll(started, settings);
      throw error;
    }
  }
  emit('stopping', outcome.failure === undefined ? 'stopping: draining every service…' : `${outcome.failure.service} stopped by itself (${outcome.failure.code}): ${outcome.failure.message}; stopping the others…`);
  const problems = await stopAll(started, settings);
  for (const problem of problems) io.stderr.write(`tradepipe: dev: ${problem}\n`);
  const kept = started.schema !== undefined && settings.database?.keep === true ? `; schema ${started.schema.schema} kept` : '';
  emit('stopped', `stopped${outcome.last === undefined ? '' : ` after ${summarize(outcome.last)}`}${kept}; logs in ${settings.logsDirectory}`, { clean: problems.length === 0 && outcome.failure === undefined });
  if (outcome.failure !== undefined) io.stderr.write(`tradepipe: ${outcome.failure.code}: ${outcome.failure.service} ${outcome.failure.message}\n`);
  return problems.length === 0 && outcome.failure === undefined ? 0 : 1;
}

function printHeader(input: { settings: DevSettings; io: CliIo; flags: GlobalFlags; ports: Readonly<Record<ServiceName, number>>; market: ReplayMarket; startedAtMs: number; pids: readonly number[] }): void {
  const { settings, market } = input;
  const mode = settings.liveAgainstFake ? 'LIVE executor against the fake exchange (test key; nothing leaves this machine)' : 'paper trading, priced from the fake exchange';
  const lines = [
    `tradepipe dev — every service of the design, ${mode}`,
    `  replay           BTC-USD daily candles (bundled) from ${day(settings.fromMs)} at ${settings.rate}× (a day every ${(DAY_MS / settings.rate / 1000).toFixed(1)} s)`,
    `  services         ${describeServices(settings, input.ports)}`,
    `  fake Coinbase    ${market.coinbase.url}`,
    `  fake Ollama      ${market.ollama.url} (approves; the rule validator beside it decides too)`,
    `  logs             ${settings.logsDirectory}`,
    `ready in ${((systemClock.nowMs() - input.startedAtMs) / 1000).toFixed(1)} s; Ctrl-C stops everything`,
  ];
  if (input.flags.json) input.io.stdout.write(`${JSON.stringify({ event: 'ready', pids: input.pids, coinbaseUrl: market.coinbase.url, ollamaUrl: market.ollama.url })}\n`);
  else input.io.stdout.write(`${lines.join('\n')}\n`);
}
