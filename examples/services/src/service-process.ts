// The service program's process: start a service (or run the operator command), drain on signals, exit.
// `main.ts` (`node dist/main.js <service>`) and `tradepipe service <name>` both run it.
import { TradepipeError, loadConfig } from '@tradepipe/core';
import { createServiceLogger } from './logging.js';
import { openStore } from './open-store.js';
import { runOperatorCommand } from './operator.js';
import { startService } from './run-service.js';
import { resolveService } from './service-catalog.js';

/**
 * `kill-switch …`: an operator command against the shared store (database settings from the environment), printed,
 * then return. Failures are logged and set `process.exitCode` to 1.
 */
export async function runOperatorProcess(args: readonly string[]): Promise<void> {
  const logger = createServiceLogger('operator', 'info');
  try {
    const config = loadConfig(process.env);
    const store = await openStore({ config, env: process.env, service: 'operator', logger });
    try {
      process.stdout.write(`${await runOperatorCommand(args, store)}\n`);
    } finally {
      await store.close();
    }
  } catch (error) {
    logger.error('operator command failed', { code: error instanceof TradepipeError ? error.code : 'internal', error });
    process.exitCode = 1;
  }
}

/**
 * The service program: `args[0]` names the service (else `SERVICE`), or `kill-switch …` runs the operator command.
 * Starts the service from the environment, drains it on SIGTERM/SIGINT and exits the process (0 after a drain,
 * 1 when it could not start or drain, 2 for an unknown service).
 */
export async function runServiceProcess(args: readonly string[]): Promise<void> {
  if (args[0] === 'kill-switch') return runOperatorProcess(args);
  const bootLogger = createServiceLogger(args[0] ?? process.env.SERVICE ?? 'unknown', 'info');
  let service;
  try {
    service = resolveService(args[0], process.env);
  } catch (error) {
    bootLogger.error('service not started', { error });
    process.exitCode = 2;
    return;
  }
  // Signals are handled from the start: a SIGTERM that lands while the service is still starting (a rollout,
  // a test tearing down) waits for the start to finish and then drains, instead of killing the process mid-way.
  let running: Awaited<ReturnType<typeof startService>> | undefined;
  let stopRequested = false;
  let firstSignalAtMs: number | undefined;
  const stop = (): void => {
    running!.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        bootLogger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  const shutdown = (signal: NodeJS.Signals): void => {
    // A terminal's Ctrl-C may reach the process twice at once (npm forwards it too): only a later one forces the exit.
    if (firstSignalAtMs !== undefined) {
      if (performance.now() - firstSignalAtMs < 2_000) return;
      bootLogger.warn('second signal: exiting without drain', { signal });
      process.exit(1);
    }
    firstSignalAtMs = performance.now();
    bootLogger.info('shutdown requested', { signal, starting: running === undefined });
    if (running === undefined) stopRequested = true;
    else stop();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  try {
    running = await startService(service, process.env);
  } catch (error) {
    bootLogger.error('service not started', { code: error instanceof TradepipeError ? error.code : 'internal', error });
    process.exit(1);
  }
  if (stopRequested) stop();
}
