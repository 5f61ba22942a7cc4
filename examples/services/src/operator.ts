import { KillSwitchModeSchema, TradepipeError, systemClock, type Clock, type PipelineStore } from '@tradepipe/core';
import { engageKillSwitch, releaseKillSwitch } from '@tradepipe/risk';

/** Usage of the operator commands. */
export const OPERATOR_USAGE = [
  'kill-switch status',
  'kill-switch engage --mode freeze|flatten --reason "<why>"',
  'kill-switch release --reason "<why>"',
].map((line) => `  node dist/main.js ${line}`).join('\n');

function option(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? undefined : args[index + 1];
}

/**
 * Operator commands against the shared store, for the people running the deployment: read, engage or release
 * the kill switch that every risk replica reads (freeze refuses new exposure; flatten also sells what is
 * held through the exit rules). Engaging and releasing need a reason, which is kept with the state.
 * @returns the risk state after the command, as printed
 * @throws TradepipeError `validation_failed` for an unknown command or a missing option
 */
export async function runOperatorCommand(args: readonly string[], store: PipelineStore, clock: Clock = systemClock): Promise<string> {
  const [command, action] = args;
  if (command !== 'kill-switch') throw new TradepipeError('validation_failed', `Unknown operator command; use:\n${OPERATOR_USAGE}`);
  const nowMs = clock.nowMs();
  const reason = option(args, 'reason');
  if (action === 'status') return JSON.stringify(await store.getRiskState());
  if (reason === undefined || reason.trim() === '') throw new TradepipeError('validation_failed', 'Engaging or releasing the kill switch needs --reason');
  if (action === 'engage') {
    const mode = KillSwitchModeSchema.safeParse(option(args, 'mode'));
    if (!mode.success) throw new TradepipeError('validation_failed', 'kill-switch engage needs --mode freeze or --mode flatten');
    return JSON.stringify(await engageKillSwitch(store, { mode: mode.data, reason, nowMs }));
  }
  if (action === 'release') return JSON.stringify(await releaseKillSwitch(store, { nowMs }));
  throw new TradepipeError('validation_failed', `Unknown kill-switch action; use:\n${OPERATOR_USAGE}`);
}
