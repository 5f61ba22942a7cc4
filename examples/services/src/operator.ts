import { KillSwitchModeSchema, TradepipeError, systemClock, type Clock, type PipelineStore, type WorkKind } from '@tradepipe/core';
import { listHeldOrders, settleHeldOrder, type OperatorFill } from '@tradepipe/coinbase';
import { engageKillSwitch, releaseKillSwitch } from '@tradepipe/risk';

/** Usage of the operator commands. */
export const OPERATOR_USAGE = [
  'kill-switch status',
  'kill-switch engage --mode freeze|flatten --reason "<why>"',
  'kill-switch release --reason "<why>"',
  'dead-letters list [--kind candle|signal|recommendation] [--limit <n>]',
  'dead-letters requeue|discard <kind> <id> --reason "<why>"',
  'orders held',
  'orders settle <orderId> --reason "<why>" (--fill id=<id>,price=<p>,size=<s>,commission=<c>,time=<ISO 8601>[,size-in-quote][,maker] ... | --recorded-fills-complete | --nothing-filled) [--override-coinbase-figures] [--order-ended-on-coinbase]',
].map((line) => `  node dist/main.js ${line}`).join('\n');

function option(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? undefined : args[index + 1];
}

/** The keys of an operator's fill text, each required but the flags. */
const FILL_KEYS = ['id', 'price', 'size', 'commission', 'time'] as const;

/**
 * Parses an operator's fill, as read off Coinbase for a held order:
 * `id=<entry_id>,price=<p>,size=<s>,commission=<c>,time=<ISO 8601>` plus the flags `size-in-quote` (Coinbase lists
 * the size in quote: a quote-sized BUY's fill) and `maker`. Figures are checked by `settleHeldOrder`.
 * @throws TradepipeError `validation_failed` for a missing, repeated or unknown key, or a time that is no ISO 8601 instant
 */
export function parseOperatorFill(text: string): OperatorFill {
  const fields = new Map<string, string>();
  const flags = new Set<string>();
  for (const part of text.split(',')) {
    const item = part.trim();
    const at = item.indexOf('=');
    const key = at === -1 ? item : item.slice(0, at);
    if (at === -1 ? key !== 'size-in-quote' && key !== 'maker' : !(FILL_KEYS as readonly string[]).includes(key)) {
      throw new TradepipeError('validation_failed', `Unknown part '${key}' of a fill; a fill is id=<id>,price=<p>,size=<s>,commission=<c>,time=<ISO 8601>[,size-in-quote][,maker]`);
    }
    if (fields.has(key) || flags.has(key)) throw new TradepipeError('validation_failed', `A fill names '${key}' twice`);
    if (at === -1) flags.add(key);
    else fields.set(key, item.slice(at + 1).trim());
  }
  const missing = FILL_KEYS.filter((key) => (fields.get(key) ?? '') === '');
  if (missing.length > 0) throw new TradepipeError('validation_failed', `A fill needs ${missing.join(', ')}: id=<id>,price=<p>,size=<s>,commission=<c>,time=<ISO 8601>`);
  const time = fields.get('time')!;
  const filledAtMs = instantMs(time);
  if (filledAtMs === undefined) throw new TradepipeError('validation_failed', `A fill's time must be an ISO 8601 instant with its zone (2026-12-07T16:05:00Z), not '${time}'`);
  return {
    coinbaseFillId: fields.get('id')!,
    price: fields.get('price')!,
    size: fields.get('size')!,
    commissionQuote: fields.get('commission')!,
    filledAtMs,
    ...(flags.has('size-in-quote') ? { sizeInQuote: true } : {}),
    ...(flags.has('maker') ? { liquidity: 'MAKER' as const } : {}),
  };
}

/** An ISO 8601 instant with its zone (`2026-12-07T16:05:01.25Z`, `…+01:00`) as epoch ms, or undefined (no calendar date: `2026-02-30`). */
function instantMs(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The options of `orders settle`: value options, and flags. */
const SETTLE_VALUE_OPTIONS = new Set(['fill', 'reason']);
const SETTLE_FLAGS = new Set(['nothing-filled', 'recorded-fills-complete', 'override-coinbase-figures', 'order-ended-on-coinbase']);

/**
 * Parses `orders settle <orderId> …` strictly: `--name value` or `--name=value` for `--fill` (repeated) and
 * `--reason`, and the flags; anything else is refused (a misspelt or `=`-joined option must never drop a fill).
 */
function settleArgs(args: readonly string[]): { readonly orderId: string; readonly fills: string[]; readonly reason: string | undefined; readonly flags: ReadonlySet<string> } {
  const fills: string[] = [];
  const flags = new Set<string>();
  let reason: string | undefined;
  let orderId: string | undefined;
  for (let index = 2; index < args.length; index += 1) {
    const arg = args[index]!;
    if (!arg.startsWith('--')) {
      if (orderId !== undefined) throw new TradepipeError('validation_failed', `orders settle takes one order id; unexpected '${arg}'; use:\n${OPERATOR_USAGE}`);
      orderId = arg;
      continue;
    }
    const at = arg.indexOf('=');
    const name = arg.slice(2, at === -1 ? undefined : at);
    if (SETTLE_FLAGS.has(name) && at === -1) {
      flags.add(name);
      continue;
    }
    if (!SETTLE_VALUE_OPTIONS.has(name)) throw new TradepipeError('validation_failed', `Unknown option '${arg.slice(0, at === -1 ? undefined : at)}' of orders settle; use:\n${OPERATOR_USAGE}`);
    const value = at === -1 ? args[(index += 1)] : arg.slice(at + 1);
    if (value === undefined) throw new TradepipeError('validation_failed', `--${name} needs a value`);
    if (name === 'fill') fills.push(value);
    else if (reason !== undefined) throw new TradepipeError('validation_failed', '--reason is given twice');
    else reason = value;
  }
  if (orderId === undefined) throw new TradepipeError('validation_failed', `orders settle needs an order id; use:\n${OPERATOR_USAGE}`);
  return { orderId, fills, reason, flags };
}

/** `orders held|settle`: orders held open (`HELD_…`) with their recorded fills, and an operator's settlement of one, as JSON (the `tradepipe orders` command's rules). */
async function ordersCommand(args: readonly string[], store: PipelineStore, clock: Clock): Promise<string> {
  const [, action] = args;
  if (action === 'held') return JSON.stringify({ orders: await listHeldOrders(store) });
  if (action !== 'settle') throw new TradepipeError('validation_failed', `Unknown orders action; use:\n${OPERATOR_USAGE}`);
  const { orderId, fills, reason, flags } = settleArgs(args);
  if (reason === undefined || reason.trim() === '') throw new TradepipeError('validation_failed', 'orders settle needs --reason');
  const settled = await settleHeldOrder(store, {
    orderId,
    fills: fills.map(parseOperatorFill),
    reason,
    nowMs: clock.nowMs(),
    ...(flags.has('nothing-filled') ? { nothingFilled: true } : {}),
    ...(flags.has('recorded-fills-complete') ? { recordedFillsComplete: true } : {}),
    ...(flags.has('override-coinbase-figures') ? { overrideCoinbaseFigures: true } : {}),
    ...(flags.has('order-ended-on-coinbase') ? { orderEndedOnCoinbase: true } : {}),
  });
  return JSON.stringify(settled);
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
 * held through the exit rules), list, re-queue or discard dead letters, and list or settle orders held open
 * (`HELD_…`: Coinbase reports them ended while their fills do not account for them; see `settleHeldOrder`).
 * Changes need a reason, which is kept with the state.
 * @returns the risk state (or the dead letters, the settled item's status, the held orders or the settled order) after the command, as printed
 * @throws TradepipeError `validation_failed` for an unknown command or a missing option; the store's codes
 * (`order_recorded`, `invalid_state_transition`, `not_found`) for a dead letter it refuses to settle; `settleHeldOrder`'s
 * (`not_found`, `invalid_state_transition`, `validation_failed`, `record_conflict`, `order_conflict`) for an order
 */
export async function runOperatorCommand(args: readonly string[], store: PipelineStore, clock: Clock = systemClock): Promise<string> {
  const [command, action] = args;
  if (command === 'dead-letters') return deadLetterCommand(args, store);
  if (command === 'orders') return ordersCommand(args, store, clock);
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
