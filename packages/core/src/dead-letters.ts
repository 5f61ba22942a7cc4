// Dead letters: the operator's side of the work queues. A DEAD_LETTER item is inspected, then re-queued to the
// state its stage claims or discarded (acknowledged without running again). Both stores share these rules.
import { TradepipeError } from './errors.js';
import type { WorkError, WorkKind, WorkStatus } from './store.js';

/** One item in `DEAD_LETTER`, as {@link PipelineStore.listDeadLetters} lists it. */
export interface DeadLetter {
  /** The kind of the item. */
  readonly kind: WorkKind;
  /** The item's id (see {@link Claim.id}): pass it to `requeueDeadLetter` or `discardDeadLetter`. */
  readonly id: string;
  /** `productId/granularity` of the item. */
  readonly partitionKey: string;
  /** Why it was dead-lettered (the terminal reason, or the failure's message). */
  readonly reason?: string;
  /** The failure that ended it, if one was recorded. */
  readonly lastError?: WorkError;
  /** Failed attempts it made before it was dead-lettered. */
  readonly attempt: number;
  /** The state it was in when it was dead-lettered (the stage's input state), when the store recorded it. */
  readonly fromState?: string;
  /** When it was dead-lettered, on the store's clock, epoch ms: the list is oldest first by this. */
  readonly updatedAtMs: number;
}

/** Where a page of {@link PipelineStore.listDeadLetters} starts: strictly after this item (the last one of the previous page). */
export interface DeadLetterCursor {
  /** The item's `updatedAtMs`. */
  readonly updatedAtMs: number;
  /** The item's kind. */
  readonly kind: WorkKind;
  /** The item's id. */
  readonly id: string;
}

/** Which dead letters {@link PipelineStore.listDeadLetters} returns. */
export interface DeadLetterQuery {
  /** Only items of this kind (default: every kind). */
  readonly kind?: WorkKind;
  /** Most items to return, 1 to {@link MAX_DEAD_LETTER_PAGE} (default 100). */
  readonly limit?: number;
  /** Only items after this one, in list order (paging). */
  readonly after?: DeadLetterCursor;
}

/** What an operator gives when re-queueing or discarding a dead letter. */
export interface DeadLetterAction {
  /** Why (kept as the item's reason, with the failure it had); 1 to 500 characters. */
  readonly reason: string;
}

/** The largest page {@link PipelineStore.listDeadLetters} returns. */
export const MAX_DEAD_LETTER_PAGE = 1_000;

/** The state each kind's dead letters go back to when the store did not record where they came from. */
const DEFAULT_REQUEUE_STATE: Readonly<Record<WorkKind, string | undefined>> = { candle: 'PENDING', signal: 'PENDING', recommendation: undefined };

/**
 * Checks a dead-letter query and fills in its defaults.
 * @returns the limit to use
 * @throws TradepipeError `validation_failed` for a limit that is not an integer in 1..{@link MAX_DEAD_LETTER_PAGE}
 * @internal
 */
export function deadLetterLimit(query: DeadLetterQuery): number {
  const limit = query.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_DEAD_LETTER_PAGE) {
    throw new TradepipeError('validation_failed', `A dead-letter page holds 1 to ${MAX_DEAD_LETTER_PAGE} items`, { details: { limit: String(limit) } });
  }
  return limit;
}

/**
 * Orders dead letters as the list does: oldest `updatedAtMs` first, then kind, then id.
 * @internal
 */
export function compareDeadLetters(a: DeadLetterCursor, b: DeadLetterCursor): number {
  return a.updatedAtMs - b.updatedAtMs || compareText(a.kind, b.kind) || compareText(a.id, b.id);
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** What a store knows about an item an operator acts on. @internal */
export interface DeadLetterSubject {
  /** The item's kind. */
  readonly kind: WorkKind;
  /** The item's id. */
  readonly id: string;
  /** The item's status; undefined when there is no such item. */
  readonly status: WorkStatus | undefined;
  /** The state it was dead-lettered from, when recorded. */
  readonly fromState: string | undefined;
  /** For a recommendation: whether an order is recorded for it. */
  readonly hasOrder: boolean;
}

/** A change a store applies to a dead letter, atomically with the checks that led to it. @internal */
export interface DeadLetterChange {
  /** The new state. */
  readonly state: string;
  /** The new reason. */
  readonly reason: string;
}

/**
 * Decides where a dead letter goes back to: the state it was dead-lettered from (candles and signals: `PENDING`
 * when not recorded), with its attempts reset. A recommendation with an order is never re-run (an order is never
 * placed twice), and one whose origin was not recorded is refused rather than guessed (guessing could skip a
 * stage, e.g. a plugin's check before risk): discard it instead.
 * @throws TradepipeError `validation_failed` (empty reason), `not_found`, `invalid_state_transition` (not
 * `DEAD_LETTER`, or a recommendation whose origin is unknown), `order_recorded`
 * @internal
 */
export function planRequeue(subject: DeadLetterSubject, action: DeadLetterAction): DeadLetterChange {
  const reason = checkAction(subject, action);
  const details = { kind: subject.kind, id: subject.id };
  if (subject.kind === 'recommendation' && subject.hasOrder) {
    throw new TradepipeError('order_recorded', 'The recommendation has an order: it is never run again (discard it; the order reconciler follows the order)', { details });
  }
  const state = subject.fromState ?? DEFAULT_REQUEUE_STATE[subject.kind];
  if (state === undefined || state === 'DEAD_LETTER') {
    throw new TradepipeError('invalid_state_transition', 'The state this recommendation was dead-lettered from is not recorded: discard it instead', {
      details: { ...details, from: 'DEAD_LETTER', cause: 'origin_unknown' },
    });
  }
  return { state, reason: `requeued: ${reason}${formerError(subject.status)}` };
}

/**
 * Decides how a dead letter is discarded: to `DISCARDED`, a terminal state no stage claims and the health check
 * does not count, with the operator's reason and the failure it had.
 * @throws TradepipeError `validation_failed` (empty reason), `not_found`, `invalid_state_transition` (not `DEAD_LETTER`)
 * @internal
 */
export function planDiscard(subject: DeadLetterSubject, action: DeadLetterAction): DeadLetterChange {
  const reason = checkAction(subject, action);
  return { state: 'DISCARDED', reason: `discarded: ${reason}${formerError(subject.status)}` };
}

function checkAction(subject: DeadLetterSubject, action: DeadLetterAction): string {
  const reason = typeof action.reason === 'string' ? action.reason.trim() : '';
  if (reason.length === 0 || reason.length > 500) throw new TradepipeError('validation_failed', 'A reason of 1 to 500 characters is required');
  const details = { kind: subject.kind, id: subject.id };
  if (subject.status === undefined) throw new TradepipeError('not_found', 'No such work item', { details });
  if (subject.status.state !== 'DEAD_LETTER') {
    throw new TradepipeError('invalid_state_transition', 'Only a DEAD_LETTER item can be re-queued or discarded', {
      details: { ...details, from: subject.status.state },
    });
  }
  return reason;
}

/** The failure a dead letter had, kept in its new reason (the status keeps it as `lastError` too). */
function formerError(status: WorkStatus | undefined): string {
  if (status?.lastError !== undefined) return ` (was ${status.lastError.code}: ${status.lastError.message})`.slice(0, 500);
  return status?.reason === undefined ? '' : ` (was: ${status.reason})`.slice(0, 500);
}
