import {
  deadLetterLimit,
  planDiscard,
  planRequeue,
  type DeadLetter,
  type DeadLetterAction,
  type DeadLetterQuery,
  type WorkKind,
  type WorkStates,
  type WorkStatus,
} from '@tradepipe/core';
import { nowParam, nowSql, type StoreContext } from './context.js';
import { compact, int8, optionalText } from './rows.js';
import type { SqlRow } from './sql-driver.js';
import { WORK_STATUS_COLUMNS, WORK_TABLES, workStatusFromRow } from './work-tables.js';

const KINDS: readonly WorkKind[] = ['candle', 'signal', 'recommendation'];

/**
 * One page of dead letters across the queue tables, oldest first by (updated_at_ms, kind, id) in byte order,
 * as the memory store orders them; each table's part reads its `(state, …)` index.
 * @throws TradepipeError `validation_failed` for a bad limit
 * @internal
 */
export async function listDeadLetters(context: StoreContext, query: DeadLetterQuery): Promise<DeadLetter[]> {
  const limit = deadLetterLimit(query);
  const parts = (query.kind === undefined ? KINDS : [query.kind]).map((kind) => {
    const table = WORK_TABLES[kind];
    return `SELECT '${kind}'::text AS kind, ${table.idSql('w')} AS id, w.product_id, w.granularity, w.state_reason, w.attempt,
        w.last_error_code, w.last_error_message, w.updated_at_ms, w.dead_lettered_from
      FROM ${context.s}.${table.table} w WHERE w.state = 'DEAD_LETTER'`;
  });
  const after = query.after;
  const rows = await context.driver.query(
    `SELECT * FROM (${parts.join('\nUNION ALL\n')}) d
     WHERE $1::bigint IS NULL OR (d.updated_at_ms, d.kind COLLATE "C", d.id COLLATE "C") > ($1::bigint, $2::text COLLATE "C", $3::text COLLATE "C")
     ORDER BY d.updated_at_ms, d.kind COLLATE "C", d.id COLLATE "C"
     LIMIT $4`,
    [after?.updatedAtMs ?? null, after?.kind ?? null, after?.id ?? null, limit],
  );
  return rows.map(deadLetterFromRow);
}

function deadLetterFromRow(row: SqlRow): DeadLetter {
  const code = optionalText(row.last_error_code);
  return compact({
    kind: String(row.kind) as WorkKind,
    id: String(row.id),
    partitionKey: `${String(row.product_id)}/${String(row.granularity)}`,
    reason: optionalText(row.state_reason),
    lastError: code === undefined ? undefined : { code, message: String(row.last_error_message ?? '') },
    attempt: Number(row.attempt),
    fromState: optionalText(row.dead_lettered_from),
    updatedAtMs: int8(row.updated_at_ms, 'updated_at_ms'),
  }) as DeadLetter;
}

/**
 * Re-queues or discards a dead letter in one transaction: the row is locked, checked by core's rules (state,
 * origin, for a recommendation whether an order exists) and moved, attempts reset on a re-queue. The state
 * change fires the table's trigger, which wakes waiting workers.
 * @throws TradepipeError as core's `planRequeue` and `planDiscard`
 * @internal
 */
export async function settleDeadLetter<K extends WorkKind>(
  context: StoreContext,
  request: { readonly kind: K; readonly id: string; readonly action: DeadLetterAction; readonly mode: 'requeue' | 'discard' },
): Promise<WorkStatus<WorkStates[K]>> {
  const { kind, id } = request;
  const table = WORK_TABLES[kind];
  const key = table.keyParams(id);
  return context.driver.transaction(async (executor) => {
    const hasOrder = kind === 'recommendation' ? `EXISTS (SELECT 1 FROM ${context.s}.orders o WHERE o.recommendation_id = w.id)` : 'false';
    const [row] =
      key === undefined
        ? []
        : await executor.query(
            `SELECT ${WORK_STATUS_COLUMNS}, dead_lettered_from, ${hasOrder} AS has_order FROM ${context.s}.${table.table} w
             WHERE ${table.keyCondition('w', 1)} FOR UPDATE`,
            key,
          );
    const subject = {
      kind,
      id,
      status: row === undefined ? undefined : workStatusFromRow(row),
      fromState: row === undefined ? undefined : optionalText(row.dead_lettered_from),
      hasOrder: row?.has_order === true,
    };
    const change = request.mode === 'requeue' ? planRequeue(subject, request.action) : planDiscard(subject, request.action);
    const [updated] = await executor.query(
      `UPDATE ${context.s}.${table.table} w SET state = $1, state_reason = $2,
         attempt = CASE WHEN $3::boolean THEN 0 ELSE w.attempt END,
         available_at_ms = n.ms, updated_at_ms = n.ms, dead_lettered_from = NULL, lease_owner = NULL, lease_expires_at_ms = NULL
       FROM (SELECT ${nowSql(4)} AS ms) n
       WHERE w.state = 'DEAD_LETTER' AND ${table.keyCondition('w', 5)}
       RETURNING ${WORK_STATUS_COLUMNS.split(', ').map((column) => `w.${column}`).join(', ')}`,
      [change.state, change.reason, request.mode === 'requeue', nowParam(context), ...key!],
    );
    return workStatusFromRow<WorkStates[K]>(updated!);
  });
}
