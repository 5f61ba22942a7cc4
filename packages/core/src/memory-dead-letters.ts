import {
  compareDeadLetters,
  deadLetterLimit,
  planDiscard,
  planRequeue,
  type DeadLetter,
  type DeadLetterAction,
  type DeadLetterQuery,
} from './dead-letters.js';
import type { MemoryQueue } from './memory-queue.js';
import type { WorkKind, WorkStatus } from './store.js';

const KINDS: readonly WorkKind[] = ['candle', 'signal', 'recommendation'];

/**
 * The dead letters of the in-memory queue, oldest first, one page.
 * @throws TradepipeError `validation_failed` for a bad limit
 * @internal
 */
export function listMemoryDeadLetters(queue: MemoryQueue, query: DeadLetterQuery): DeadLetter[] {
  const limit = deadLetterLimit(query);
  const letters: DeadLetter[] = [];
  for (const kind of query.kind === undefined ? KINDS : [query.kind]) {
    for (const entry of queue.entriesInState(kind, 'DEAD_LETTER')) {
      const { status } = entry;
      letters.push({
        kind,
        id: entry.id,
        partitionKey: entry.partitionKey,
        ...(status.reason === undefined ? {} : { reason: status.reason }),
        ...(status.lastError === undefined ? {} : { lastError: status.lastError }),
        attempt: status.attempt,
        ...(entry.deadLetteredFrom === undefined ? {} : { fromState: entry.deadLetteredFrom }),
        updatedAtMs: status.updatedAtMs,
      });
    }
  }
  const after = query.after;
  return letters
    .filter((letter) => after === undefined || compareDeadLetters(letter, after) > 0)
    .sort(compareDeadLetters)
    .slice(0, limit);
}

/**
 * Re-queues or discards a dead letter of the in-memory queue (synchronous, so atomic).
 * @param hasOrder whether an order is recorded for a recommendation of this id
 * @throws TradepipeError as {@link planRequeue} and {@link planDiscard}
 * @internal
 */
export function settleMemoryDeadLetter(
  queue: MemoryQueue,
  request: { readonly kind: WorkKind; readonly id: string; readonly action: DeadLetterAction; readonly mode: 'requeue' | 'discard'; readonly hasOrder: boolean },
): WorkStatus {
  const entry = queue.entry(request.kind, request.id);
  const subject = { kind: request.kind, id: request.id, status: entry?.status, fromState: entry?.deadLetteredFrom, hasOrder: request.hasOrder };
  const change = request.mode === 'requeue' ? planRequeue(subject, request.action) : planDiscard(subject, request.action);
  queue.transition(entry!, change.state, change.reason, undefined, request.mode === 'requeue' ? 0 : undefined);
  return entry!.status;
}
