// The dev stack's services: all eight in this process over one PGlite store, or as eight processes (the bundled
// service program, `tradepipe service <name>`) over PostgreSQL. Either way every one reads the same dev clock.
import { spawn, type ChildProcess } from 'node:child_process';
import { createPgliteStore } from '@tradepipe/storage-pg';
import { TradepipeError, type PipelineStore } from '@tradepipe/core';
import { SERVICES, createServiceLogger, startService, type RunningService, type ScaledClock, type ServiceName } from '@tradepipe/example-services';
import { lastLoggedError, type DevLogs } from './dev-logs.js';

/** Downstream first, so every stage is listening when the first candle arrives; the health monitor last. */
export const DEV_START_ORDER: readonly ServiceName[] = ['trade-executor', 'fill-tracker', 'risk-management', 'trade-orchestrator', 'signal-bridge', 'signal-generator', 'market-data', 'health-monitor'];

/** Set in the environment of a supervised service process: it stops itself when its stdin closes (the parent is gone). */
export const SUPERVISED_VARIABLE = 'TRADEPIPE_DEV_SUPERVISED';

/** How long a service process may take to drain after SIGTERM before it is killed. */
const STOP_GRACE_MS = 30_000;

/** A service that stopped by itself, and why. */
export interface DevServiceFailure {
  readonly service: string;
  /** The error code of its last logged error (`internal` when it logged none). */
  readonly code: string;
  readonly message: string;
}

/** The running services of a dev stack. */
export interface DevServices {
  /** The processes' ids (empty in process). */
  readonly pids: readonly number[];
  /** Resolves when a service stops by itself (never while `stop` runs). */
  readonly failure: Promise<DevServiceFailure>;
  /** Waits until a stage's service would answer `/ready` (processes: polls it; in process: started already). */
  ready(ports: Readonly<Record<ServiceName, number>>, signal: AbortSignal): Promise<void>;
  /** Drains and stops every service. @returns the problems met (none when every one stopped cleanly) */
  stop(): Promise<string[]>;
}

/** Opens the in-process stack's store: PGlite in memory, on the dev clock. */
export function openInProcessStore(clock: ScaledClock, logs: DevLogs): Promise<PipelineStore> {
  return createPgliteStore({ clock, logger: createServiceLogger('store', 'info', logs.writer('store')) });
}

/** Starts the eight services in this process on one store (closed by `stop`), on the dev clock. */
export async function startInProcess(input: { readonly store: PipelineStore; readonly env: Readonly<Record<string, string>>; readonly clock: ScaledClock; readonly logs: DevLogs; readonly signal: AbortSignal }): Promise<DevServices> {
  const { store } = input;
  const running: RunningService[] = [];
  const stop = async (): Promise<string[]> => {
    const problems: string[] = [];
    await Promise.all(running.map((service, index) => service.stop().catch((error: unknown) => void problems.push(`${DEV_START_ORDER[index]}: ${String(error)}`))));
    await store.close().catch((error: unknown) => void problems.push(`store: ${String(error)}`));
    return problems;
  };
  try {
    for (const name of DEV_START_ORDER) {
      if (input.signal.aborted) break;
      running.push(await startService(SERVICES[name], input.env, { store, clock: input.clock, logger: createServiceLogger(name, 'info', input.logs.writer(name)) }));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { pids: [], failure: new Promise<never>(() => undefined), ready: async () => undefined, stop };
}

interface Child {
  readonly name: ServiceName;
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
}

function spawnService(name: ServiceName, env: Readonly<Record<string, string>>, logs: DevLogs): Child {
  const output = logs.descriptor(name);
  // Its own process group: a terminal's Ctrl-C reaches only this command, which drains the services itself.
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'service', name], {
    env: { ...env, [SUPERVISED_VARIABLE]: '1' },
    stdio: ['pipe', output, output],
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? null : 128)));
    child.once('error', () => resolve(null));
  });
  return { name, process: child, exited };
}

async function isReady(port: number, signal: AbortSignal): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Starts the eight services as processes of this command (`tradepipe service <name>`), logging to files. */
export function startProcesses(input: { readonly env: Readonly<Record<string, string>>; readonly logs: DevLogs }): DevServices {
  const children = DEV_START_ORDER.map((name) => spawnService(name, input.env, input.logs));
  let stopping = false;
  const failure = new Promise<DevServiceFailure>((resolve) => {
    for (const child of children) {
      void child.exited.then((code) => {
        if (stopping) return;
        const logged = lastLoggedError(input.logs.tail(child.name, 20));
        resolve({ service: child.name, code: logged?.code ?? 'internal', message: `exited with code ${String(code)}${logged === undefined ? '' : `: ${logged.message}`}` });
      });
    }
  });
  return {
    pids: children.flatMap((child) => (child.process.pid === undefined ? [] : [child.process.pid])),
    failure,
    async ready(ports, signal) {
      const waiting = children.map(async (child) => {
        while (!(await isReady(ports[child.name], signal))) {
          signal.throwIfAborted();
          if (child.process.exitCode !== null || child.process.signalCode !== null) return;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      });
      await Promise.race([Promise.all(waiting), failure.then((failed) => Promise.reject(new TradepipeError('not_ready', `${failed.service} ${failed.message}`)))]);
    },
    async stop() {
      stopping = true;
      const problems: string[] = [];
      for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGTERM');
      await Promise.all(
        children.map(async (child) => {
          const timer = setTimeout(() => child.process.kill('SIGKILL'), STOP_GRACE_MS);
          const code = await child.exited;
          clearTimeout(timer);
          if (code !== 0) problems.push(`${child.name} exited with code ${String(code)} (see ${input.logs.pathOf(child.name)})`);
        }),
      );
      return problems;
    },
  };
}
