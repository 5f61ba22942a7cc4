// Test support for the chaos storm: what Kubernetes does for the services (restart every process that ends),
// plus the chaos itself (SIGKILL a service, at any point of its life), with an account of every exit.
import type { LiveDeployment } from './chaos-deployment.js';
import { isRunning, waitReady, type ServiceProcess } from './e2e-processes.js';
import type { ServiceName } from './service-catalog.js';

/** A process that ended without being killed by the test. */
export interface OwnExit {
  readonly service: ServiceName;
  readonly code: number | null;
  /** Whether it had started (logged `service started`): a started service must never end on its own. */
  readonly afterStart: boolean;
  readonly lastLines: string;
}

/** The supervisor's account of the run. */
export interface ChaosAccount {
  readonly kills: number;
  /** Kills of a process that had not logged `service started` yet (loading, migrating, starting). */
  readonly killsDuringStartUp: number;
  readonly killsByService: Readonly<Partial<Record<ServiceName, number>>>;
  readonly ownExits: readonly OwnExit[];
  readonly restarts: number;
}

/** Keeps one process of each service running, restarting whatever ends, and kills on request. */
export interface Supervisor {
  /** The current process of a service. */
  current(service: ServiceName): ServiceProcess;
  /** SIGKILLs the current process of `service` (it is restarted); resolves whether it was still starting. */
  kill(service: ServiceName): Promise<{ readonly duringStartUp: boolean }>;
  /** Waits until the current process of every service answers `/ready`. */
  allReady(): Promise<void>;
  account(): ChaosAccount;
  /** Stops restarting (before the deployment's own SIGTERM teardown). */
  retire(): void;
}

const hasStarted = (service: ServiceProcess): boolean => service.lines.some((line) => line.includes('"service started"'));

/** Supervises `services` of `live`, restarting a process `restartDelayMs` after it ends. */
export function superviseServices(live: LiveDeployment, services: readonly ServiceName[], restartDelayMs = 300): Supervisor {
  const current = new Map<ServiceName, ServiceProcess>();
  const killedByTest = new WeakSet<ServiceProcess>();
  const ownExits: OwnExit[] = [];
  const killsByService: Partial<Record<ServiceName, number>> = {};
  let kills = 0;
  let killsDuringStartUp = 0;
  let restarts = 0;
  let retired = false;

  const watch = (service: ServiceName, running: ServiceProcess): void => {
    current.set(service, running);
    void running.exited.then((code) => {
      if (!killedByTest.has(running) && !retired) {
        ownExits.push({ service, code, afterStart: hasStarted(running), lastLines: running.lines.slice(-12).join('\n') });
      }
      if (retired) return;
      setTimeout(() => {
        if (retired) return;
        restarts += 1;
        watch(service, live.spawn(service));
      }, restartDelayMs);
    });
  };
  for (const service of services) {
    const existing = live.processes.find((running) => running.name === service && isRunning(running));
    watch(service, existing ?? live.spawn(service));
  }

  return {
    current: (service) => current.get(service)!,
    async kill(service) {
      const target = current.get(service)!;
      const duringStartUp = !hasStarted(target);
      if (!isRunning(target)) return { duringStartUp };
      killedByTest.add(target);
      target.child.kill('SIGKILL');
      await target.exited;
      kills += 1;
      if (duringStartUp) killsDuringStartUp += 1;
      killsByService[service] = (killsByService[service] ?? 0) + 1;
      return { duringStartUp };
    },
    async allReady() {
      // A process may end while we wait (a start refused while the database recovers): wait for its successor.
      for (;;) {
        const processes = services.map((service) => current.get(service)!);
        try {
          await Promise.all(processes.map((running) => waitReady(running, live.ports[running.name])));
          if (processes.every((running, index) => current.get(services[index]!) === running && isRunning(running))) return;
        } catch (error) {
          if (processes.every(isRunning)) throw error;
          await new Promise((resolve) => setTimeout(resolve, restartDelayMs * 2));
        }
      }
    },
    account: () => ({ kills, killsDuringStartUp, killsByService: { ...killsByService }, ownExits: [...ownExits], restarts }),
    retire: () => {
      retired = true;
    },
  };
}
