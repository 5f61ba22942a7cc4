// The service program: `node dist/main.js <service>` (or SERVICE=<service>). See ../README.md and docs/deployment.md.
import { TradepipeError, loadConfig } from '@tradepipe/core';
import { createServiceLogger } from './logging.js';
import { openStore } from './open-store.js';
import { runOperatorCommand } from './operator.js';
import { startService } from './run-service.js';
import { resolveService } from './service-catalog.js';

/** `node dist/main.js kill-switch …`: an operator command against the shared store, then exit. */
async function operate(args: readonly string[]): Promise<void> {
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

async function main(): Promise<void> {
  if (process.argv[2] === 'kill-switch') return operate(process.argv.slice(2));
  const bootLogger = createServiceLogger(process.argv[2] ?? process.env.SERVICE ?? 'unknown', 'info');
  let service;
  try {
    service = resolveService(process.argv[2], process.env);
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

void main();
