// Test support for services.int.test.ts: the services as child processes (tsx on the sources), their ports
// and their logs.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SERVICES, SERVICE_PORT_VARIABLES, type ServiceName } from './service-catalog.js';

const SERVICES_ROOT = fileURLToPath(new URL('..', import.meta.url));

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
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** Starts `node --import tsx --conditions=@tradepipe/source src/main.ts <name>` with `env` (and nothing from the parent but PATH/HOME). */
export function spawnService(name: ServiceName, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@tradepipe/source', 'src/main.ts', name], {
    cwd: SERVICES_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer): void => void lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, child, lines, exited };
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
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: await response.text() };
}
