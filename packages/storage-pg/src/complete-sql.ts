import { parseRecordWrite, type Claim, type Completion, type HandOnRequest, type RecordWrite, type WorkKind, type WorkStates } from '@tradepipe/core';
import { nowParam, nowSql, type StoreContext } from './context.js';
import { errorCodeOf } from './db-errors.js';
import { analyzeIfGrownLive } from './planner-stats.js';
import { HELD, arrivalsOf, leaseLost, settle, type Settle } from './queue-sql.js';
import { applyRecordWrite, recordInsertPart, workArrivalOf } from './records-sql.js';
import { int8 } from './rows.js';
import { WORK_TABLES } from './work-tables.js';

/** SQLSTATE of the store's `refuse(reason)` function: a one-statement write found it must not stand. */
const REFUSED = 'TP001';

/**
 * Completes a claim: the item moves to its new state and the completion's records are written, in one
 * statement (atomic on its own): the records are inserted only if the claim still holds the item, and the
 * statement refuses itself (nothing stays written) if a record was neither inserted nor found equal. Only
 * then does the completion run again as a transaction, one write at a time, to tell a conflict from a
 * concurrent writer's duplicate. Writes are validated before any SQL runs.
 * @throws TradepipeError `validation_failed`, `lease_lost`, `record_conflict` (nothing is applied)
 * @internal
 */
export async function complete<K extends WorkKind>(context: StoreContext, held: Claim<K>, completion: Completion<K>): Promise<void> {
  await completeAndClaim(context, held, completion, undefined);
}

/**
 * {@link complete}, and with `next` the item claimed in its new state for `next.workerId` by the same statement: the
 * completion's UPDATE leases the row to it with a fresh token instead of freeing it (the queue columns a claim
 * sets, in the statement that moves the item: no claim statement for the next stage). The item's new state wakes
 * nobody then (it is not claimable). When the one statement refused itself (a write to tell apart), the completion
 * runs as a transaction and claims nothing: undefined, the item claimable as after {@link complete}.
 * @throws TradepipeError `validation_failed`, `lease_lost`, `record_conflict` (nothing is applied)
 * @internal
 */
export async function completeAndClaim<K extends WorkKind>(
  context: StoreContext,
  held: Claim<K>,
  completion: Completion<K>,
  next: HandOnRequest | undefined,
): Promise<Claim | undefined> {
  const writes = (completion.writes ?? []).map(parseRecordWrite);
  const now = nowParam(context);
  const change: Settle = { state: completion.state, reason: completion.reason ?? null, delayMs: 0 };
  // A dead letter is handed to nobody: completed as it is.
  const handOn = completion.state === 'DEAD_LETTER' && next?.write === undefined ? undefined : next;
  let claimed: Claim | undefined;
  try {
    claimed = await completeInOneStatement(context, held, change, writes, now, handOn);
  } catch (error) {
    if (errorCodeOf(error) !== REFUSED) throw error;
    await context.driver.transaction(async (executor) => {
      await settle(context, executor, held, change, now);
      for (const write of writes) await applyRecordWrite(context, executor, write, now);
    });
  }
  for (const write of writes) {
    const arrival = workArrivalOf(write);
    if (arrival !== undefined) await analyzeIfGrownLive(context, arrival.table, 1);
  }
  return claimed;
}

/**
 * One-statement completion texts by schema, kind, key and the writes' part shapes: built once each (the live path
 * completes in a few shapes; a text built anew, about a kilobyte, was allocated and flattened per completion).
 */
const COMPLETE_SQL = new Map<string, Map<string, Map<string, string>>>();

/** The texts {@link COMPLETE_SQL} keeps. */
let completeShapes = 0;

/** Past this many shapes, completion texts are built each time rather than kept. */
const MAX_COMPLETE_SHAPES = 1_000;

async function completeInOneStatement<K extends WorkKind>(
  context: StoreContext,
  held: Claim<K>,
  change: Settle,
  writes: readonly RecordWrite[],
  now: number | null,
  next: HandOnRequest | undefined,
): Promise<Claim | undefined> {
  const table = WORK_TABLES[held.kind];
  const key = table.keyParams(held.id);
  if (key === undefined) throw leaseLost(held);
  // What is handed on: the item itself (`next.write` absent), a written work item, or nothing.
  const handsItem = next !== undefined && next.write === undefined;
  const handedWrite = next?.write === undefined ? undefined : writes[next.write];
  const leasedWrite = handedWrite !== undefined && workArrivalOf(handedWrite) !== undefined ? next!.write! : -1;
  const params: unknown[] = [now, change.state, change.reason ?? null, held.fencingToken, held.state, ...key];
  const guard = 'WHERE EXISTS (SELECT 1 FROM settled)';
  const parts = writes.map((write, index) =>
    recordInsertPart(context, write, index === leasedWrite ? { index, params, guard, lease: next! } : { index, params, guard }),
  );
  // The next holder's parameters follow the writes' (their places are fixed by the writes' shapes, as the text is).
  const nextAt = params.length + 1;
  if (handsItem) params.push(next.workerId, Math.max(0, Math.round(next.leaseMs)));
  // Looked up by the strings at hand (one write's part key as it is): no key string per completion.
  let byKind = COMPLETE_SQL.get(context.s);
  if (byKind === undefined) {
    byKind = new Map();
    COMPLETE_SQL.set(context.s, byKind);
  }
  // A leased write's part key names its shape (and index): the item's own hand-on has keys of its own.
  const kindKey = handsItem ? `${held.kind}/${key.length}/claim` : key.length === 1 ? held.kind : `${held.kind}/${key.length}`;
  let texts = byKind.get(kindKey);
  if (texts === undefined) {
    texts = new Map();
    byKind.set(kindKey, texts);
  }
  const partsKey = parts.length === 0 ? '' : parts.length === 1 ? parts[0]!.sqlKey : parts.map((part) => part.sqlKey).join('|');
  let text = texts.get(partsKey);
  if (text === undefined) {
    const unsettled = parts.length === 0 ? 'false' : parts.map((part) => part.unsettledSql).join(' OR ');
    // Handed on: leased to the next holder with a fresh token (as a claim leases), its claim's columns returned.
    const lease = handsItem
      ? `lease_owner = $${nextAt}, lease_expires_at_ms = now_ms.ms + $${nextAt + 1}::bigint, fencing_token = nextval('${context.s}.fencing_token_seq')`
      : 'lease_owner = NULL, lease_expires_at_ms = NULL';
    const claimed = handsItem
      ? ', max(fencing_token) AS fencing_token, max(lease_expires_at_ms) AS lease_expires_at_ms, max(attempt) AS attempt'
      : leasedWrite >= 0
        ? `, (SELECT fencing_token FROM w${leasedWrite}) AS fencing_token, (SELECT lease_expires_at_ms FROM w${leasedWrite}) AS lease_expires_at_ms, (SELECT attempt FROM w${leasedWrite}) AS attempt`
        : '';
    text = `WITH now_ms AS (SELECT ${nowSql(1)} AS ms),
     settled AS (
       UPDATE ${context.s}.${table.table} w SET state = $2, state_reason = $3, available_at_ms = now_ms.ms, updated_at_ms = now_ms.ms,
         ${lease}, dead_lettered_from = CASE WHEN $2 = 'DEAD_LETTER' THEN (CASE WHEN w.state = 'DEAD_LETTER' THEN w.dead_lettered_from ELSE w.state END) END
       FROM now_ms
       WHERE w.fencing_token = $4 AND w.state = $5 AND ${HELD('w')} AND ${table.keyCondition('w', 6)}
       RETURNING ${handsItem ? 'w.fencing_token, w.lease_expires_at_ms, w.attempt' : '1'})
     ${parts.map((part) => `, ${part.cte}`).join('\n')}
     SELECT count(*) AS settled, CASE WHEN count(*) > 0 AND (${unsettled}) THEN ${context.s}.refuse('record_conflict') END AS refused${claimed} FROM settled`;
    if (completeShapes < MAX_COMPLETE_SHAPES) {
      texts.set(partsKey, text);
      completeShapes += 1;
    }
  }
  const [row] = await context.driver.query<{ settled: string; fencing_token?: string | null; lease_expires_at_ms?: string | null; attempt?: number | null }>(
    text,
    params,
    { arrivals: arrivalsOf(held, handsItem ? undefined : change.state, writes, leasedWrite) },
  );
  if (Number(row?.settled) !== 1) throw leaseLost(held);
  if (handsItem) {
    return {
      kind: held.kind,
      id: held.id,
      state: change.state as WorkStates[K],
      partitionKey: held.partitionKey,
      workerId: next.workerId,
      fencingToken: int8(row!.fencing_token, 'fencing_token'),
      attempt: Number(row!.attempt),
      leaseExpiresAtMs: int8(row!.lease_expires_at_ms, 'lease_expires_at_ms'),
    };
  }
  // A written item is claimed only when this statement inserted it (its row's token came back).
  if (leasedWrite < 0 || row?.fencing_token === null || row?.fencing_token === undefined) return undefined;
  const written = handedWrite as Extract<RecordWrite, { type: 'signal' | 'recommendation' }>;
  const { record } = written;
  return {
    kind: written.type,
    id: record.id,
    state: written.type === 'signal' ? 'PENDING' : written.state,
    partitionKey: `${record.productId}/${record.granularity}`,
    workerId: next!.workerId,
    fencingToken: int8(row.fencing_token, 'fencing_token'),
    attempt: Number(row.attempt),
    leaseExpiresAtMs: int8(row.lease_expires_at_ms, 'lease_expires_at_ms'),
    record,
  } as Claim;
}
