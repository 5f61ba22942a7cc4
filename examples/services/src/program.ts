import { TradepipeError, loadConfig } from '@tradepipe/core';
import { createServiceLogger } from './logging.js';
import { openStore } from './open-store.js';
import { runOperatorCommand } from './operator.js';
import type { ProgramSignals } from './process-signals.js';
import { startService } from './run-service.js';
import { resolveService } from './service-catalog.js';

/**
 * `kill-switch …`, `dead-letters …`: an operator command against the shared store (database settings from the environment), printed,
 * then return. Failures are logged and set `process.exitCode` to 1.
 */
export async function runOperatorProcess(args: readonly string[]): Promise<void> {
  const logger = createServiceLogger('operator', 'info');
  try {
    // An operator command signs and verifies nothing: it runs in any service's pod, given the secret or not.
    const config = loadConfig(process.env, { requireApprovalSecret: false });
    const store = await openStore({ config, env: process.env, service: 'operator', logger, existingOnly: true });
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
 * The program after its modules loaded: an operator command, or a service started and handed to the signal
 * handlers. A SIGTERM that lands while the service is still starting (a rollout, a test tearing down) waits
 * for the start to finish and then drains, instead of killing the process mid-way.
 */
export async function runProgram(args: readonly string[], signals: ProgramSignals): Promise<void> {
  // An operator command finishes what it started: a signal waits for it (a second one, 2 s later, exits).
  signals.starting();
  if (args[0] === 'kill-switch' || args[0] === 'dead-letters' || args[0] === 'orders') return runOperatorProcess(args);
  const bootLogger = createServiceLogger(args[0] ?? process.env.SERVICE ?? 'unknown', 'info');
  let service;
  try {
    service = resolveService(args[0], process.env);
  } catch (error) {
    bootLogger.error('service not started', { error });
    process.exitCode = 2;
    return;
  }
  try {
    const running = await startService(service, process.env);
    signals.running(() => running.stop());
  } catch (error) {
    bootLogger.error('service not started', { code: error instanceof TradepipeError ? error.code : 'internal', error });
    process.exit(1);
  }
}
