// The service program: `node dist/main.js <service>` (or SERVICE=<service>). See ../README.md and docs/deployment.md.
import { TradepipeError } from '@tradepipe/core';
import { createServiceLogger } from './logging.js';
import { startService } from './run-service.js';
import { resolveService } from './service-catalog.js';

async function main(): Promise<void> {
  const bootLogger = createServiceLogger(process.argv[2] ?? process.env.SERVICE ?? 'unknown', 'info');
  let service;
  try {
    service = resolveService(process.argv[2], process.env);
  } catch (error) {
    bootLogger.error('service not started', { error });
    process.exitCode = 2;
    return;
  }
  let running: Awaited<ReturnType<typeof startService>>;
  try {
    running = await startService(service, process.env);
  } catch (error) {
    bootLogger.error('service not started', { code: error instanceof TradepipeError ? error.code : 'internal', error });
    process.exitCode = 1;
    return;
  }
  let firstSignalAtMs: number | undefined;
  const shutdown = (signal: NodeJS.Signals): void => {
    // A terminal's Ctrl-C may reach the process twice at once (npm forwards it too): only a later one forces the exit.
    if (firstSignalAtMs !== undefined) {
      if (performance.now() - firstSignalAtMs < 2_000) return;
      bootLogger.warn('second signal: exiting without drain', { signal });
      process.exit(1);
    }
    firstSignalAtMs = performance.now();
    bootLogger.info('shutdown requested', { signal });
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        bootLogger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

void main();
