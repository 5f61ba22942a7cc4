// Test support for the services tests: the services as child processes (the built program), their ports,
// their logs, readiness and shutdown. Every wait is on an event or a condition polled with a generous budget:
// these tests must hold on a loaded 2-core machine (load average 25 seen), so no budget is a performance claim.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { builtServiceProgram } from './built-services.js';
import { SIGNALS_READY_MESSAGE } from './process-signals.js';
import { SERVICES, SERVICE_PORT_VARIABLES, type ServiceName } from './service-catalog.js';

const SERVICES_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** How long a service may take to load, migrate and start when the machine is loaded. */
export const START_BUDGET_MS = 240_000;
/** How long the pipeline may take to carry work through a few stages when the machine is loaded. */
export const SETTLE_BUDGET_MS = 180_000;
/** How long a drain and exit may take on SIGTERM when the machine is loaded (drain timeouts included). */
export const STOP_BUDGET_MS = 120_000;

/** A free TCP port on 127.0.0.1. */
export async function freePort(exclude: ReadonlySet<number> = new Set()): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
      });
    });
    if (!exclude.has(port)) return port;
  }
}

/** Free ports for every service, as the `*_PORT` variables: all held open until each is chosen, so none repeats. */
export async function servicePorts(): Promise<{ ports: Record<ServiceName, number>; env: Record<string, string> }> {
  const held: Server[] = [];
  const ports = {} as Record<ServiceName, number>;
  const env: Record<string, string> = {};
  try {
    for (const service of Object.values(SERVICES)) {
      const server = createServer();
      held.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const address = server.address();
      if (typeof address !== 'object' || address === null) throw new Error('no port');
      ports[service.name] = address.port;
      env[SERVICE_PORT_VARIABLES[service.portKey]] = String(address.port);
    }
  } finally {
    await Promise.all(held.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
  return { ports, env };
}

/** A service running as a child process. */
export interface ServiceProcess {
  readonly name: ServiceName;
  readonly child: ChildProcess;
  /** Log lines so far (JSON, one per line). */
  readonly lines: string[];
  /** Resolves with the exit code (`null` when a signal ended it: SIGKILL, or a signal before its handlers). */
  readonly exited: Promise<number | null>;
  /** Resolves true once the program's signal handlers are installed, false if it exited first. */
  readonly signalsReady: Promise<boolean>;
}

/**
 * Starts the built program, `node dist/main.js <name>`, with `env` (and nothing from the parent but PATH/HOME).
 * @throws Error when the build is missing or older than its sources (run `npm run build`)
 */
export function spawnService(name: ServiceName, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['--enable-source-maps', builtServiceProgram(), name], {
    cwd: SERVICES_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let onSignalsReady: (ready: boolean) => void = () => undefined;
  const signalsReady = new Promise<boolean>((resolve) => (onSignalsReady = resolve));
  const collect = (chunk: Buffer): void => {
    const added = chunk.toString('utf8').split('\n').filter(Boolean);
    lines.push(...added);
    if (added.some((line) => line.includes(SIGNALS_READY_MESSAGE))) onSignalsReady(true);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => onSignalsReady(false));
  return { name, child, lines, exited, signalsReady };
}

/** Whether the process still runs. */
export function isRunning(service: ServiceProcess): boolean {
  return service.child.exitCode === null && service.child.signalCode === null;
}

/**
 * SIGTERMs a service once its signal handlers are installed (a signal that lands earlier, while node boots,
 * kills it with code null: that is the test's timing, not the service's), and resolves its exit code.
 */
export async function stopService(service: ServiceProcess): Promise<number | null> {
  if (!isRunning(service)) return service.exited;
  if (await service.signalsReady) service.child.kill('SIGTERM');
  return withBudget(`${service.name} to exit on SIGTERM`, service.exited, STOP_BUDGET_MS, service);
}

/** Resolves `promise`, or fails after `budgetMs` with `service`'s last log lines. */
export async function withBudget<T>(what: string, promise: Promise<T>, budgetMs: number, service?: ServiceProcess): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${budgetMs} ms waiting for ${what}${service === undefined ? '' : `\n${service.lines.slice(-20).join('\n')}`}`)), budgetMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until the service answers 200 on `/ready`; fails at once, with its log, if it exits first. */
export async function waitReady(service: ServiceProcess, port: number, budgetMs = START_BUDGET_MS): Promise<void> {
  const exitedEarly = service.exited.then((code) => {
    throw new Error(`${service.name} exited (code ${String(code)}) before it was ready:\n${service.lines.slice(-20).join('\n')}`);
  });
  exitedEarly.catch(() => undefined);
  const ready = waitFor(`${service.name} /ready`, async () => ((await get(port, '/ready')).status === 200 ? true : undefined), budgetMs);
  await Promise.race([ready, exitedEarly]).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${service.lines.slice(-20).join('\n')}`);
  });
}

/** The drain a service reports on SIGTERM: from its `service stopping` line to its `service stopped` line. */
export function reportedDrainMs(service: ServiceProcess): number {
  const atOf = (message: string): number => {
    const entry = service.lines.map((line) => JSON.parse(line) as { message?: string; atMs?: number }).find((parsed) => parsed.message === message);
    if (entry?.atMs === undefined) throw new Error(`${service.name} never logged "${message}":\n${service.lines.slice(-15).join('\n')}`);
    return entry.atMs;
  };
  return atOf('service stopped') - atOf('service stopping');
}

/** Polls `until` every `intervalMs` until it returns a value other than `undefined`, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, until: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await until().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** GET a service path; resolves status and body text. */
export async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(30_000) });
  return { status: response.status, body: await response.text() };
}
