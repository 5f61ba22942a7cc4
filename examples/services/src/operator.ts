import { KillSwitchModeSchema, TradepipeError, systemClock, type Clock, type PipelineStore, type WorkKind } from '@tradepipe/core';
import { engageKillSwitch, releaseKillSwitch } from '@tradepipe/risk';

/** Usage of the operator commands. */
export const OPERATOR_USAGE = [
  'kill-switch status',
  'kill-switch engage --mode freeze|flatten --reason "<why>"',
  'kill-switch release --reason "<why>"',
  'dead-letters list [--kind candle|signal|recommendation] [--limit <n>]',
  'dead-letters requeue|discard <kind> <id> --reason "<why>"',
].map((line) => `  node dist/main.js ${line}`).join('\n');

function option(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? undefined : args[index + 1];
}

const WORK_KINDS: readonly string[] = ['candle', 'signal', 'recommendation'];

/** `dead-letters list|requeue|discard`: the store's dead letters, as JSON (the `tradepipe dead-letters` command's rules). */
async function deadLetterCommand(args: readonly string[], store: PipelineStore): Promise<string> {
  const [, action, kindText, id] = args;
  const kind = action === 'list' ? option(args, 'kind') : kindText;
  if (kind !== undefined && !WORK_KINDS.includes(kind)) throw new TradepipeError('validation_failed', `Unknown work kind; use:\n${OPERATOR_USAGE}`);
  if (action === 'list') {
    const limit = option(args, 'limit') === undefined ? undefined : Number(option(args, 'limit'));
    return JSON.stringify({ deadLetters: await store.listDeadLetters({ ...(kind === undefined ? {} : { kind: kind as WorkKind }), ...(limit === undefined ? {} : { limit }) }) });
  }
  if (action !== 'requeue' && action !== 'discard') throw new TradepipeError('validation_failed', `Unknown dead-letters action; use:\n${OPERATOR_USAGE}`);
  const reason = option(args, 'reason');
  if (kindText === undefined || id === undefined || id.startsWith('--')) throw new TradepipeError('validation_failed', `dead-letters ${action} needs a kind and an id; use:\n${OPERATOR_USAGE}`);
  if (reason === undefined || reason.trim() === '') throw new TradepipeError('validation_failed', `dead-letters ${action} needs --reason`);
  const status = action === 'requeue' ? await store.requeueDeadLetter(kindText as WorkKind, id, { reason }) : await store.discardDeadLetter(kindText as WorkKind, id, { reason });
  return JSON.stringify({ kind: kindText, id, status });
}

/**
 * Operator commands against the shared store, for the people running the deployment: read, engage or release
 * the kill switch that every risk replica reads (freeze refuses new exposure; flatten also sells what is
 * held through the exit rules), and list, re-queue or discard dead letters. Changes need a reason, which is
 * kept with the state.
 * @returns the risk state (or the dead letters, or the settled item's status) after the command, as printed
 * @throws TradepipeError `validation_failed` for an unknown command or a missing option; the store's codes
 * (`order_recorded`, `invalid_state_transition`, `not_found`) for a dead letter it refuses to settle
 */
export async function runOperatorCommand(args: readonly string[], store: PipelineStore, clock: Clock = systemClock): Promise<string> {
  const [command, action] = args;
  if (command === 'dead-letters') return deadLetterCommand(args, store);
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
  if (action === 'release') return JSON.stringify(await releaseKillSwitch(store, { reason, nowMs }));
  throw new TradepipeError('validation_failed', `Unknown kill-switch action; use:\n${OPERATOR_USAGE}`);
}
