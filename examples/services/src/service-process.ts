// The service program's process for `tradepipe service <name>` (the CLI bundles this package): the same signal
// handling and program as `main.ts` (`node dist/main.js <service>`), see process-signals.ts and program.ts.
import { installSignalHandlers, nodeSignalProcess } from './process-signals.js';
import { runProgram } from './program.js';

export { runOperatorProcess } from './program.js';

/**
 * The service program: `args[0]` names the service (else `SERVICE`), or `kill-switch …` runs the operator command.
 * Starts the service from the environment, drains it on SIGTERM/SIGINT and exits the process (0 after a drain,
 * 1 when it could not start or drain, 2 for an unknown service).
 */
export async function runServiceProcess(args: readonly string[]): Promise<void> {
  const signals = installSignalHandlers(nodeSignalProcess(args[0] ?? process.env.SERVICE ?? 'unknown'));
  await runProgram(args, signals);
}
