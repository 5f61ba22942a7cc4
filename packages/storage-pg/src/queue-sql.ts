import {
  SignalSchema,
  TradeRecommendationSchema,
  TradepipeError,
  type Claim,
  type ClaimRequest,
  type FailureOutcome,
  type FailureResult,
  type RecordWrite,
  type WorkKind,
  type WorkRecords,
  type WorkStates,
  type WorkStatus,
  parseRecordWrite,
} from '@tradepipe/core';
import { candleFromRow } from './candles-sql.js';
import { nowParam, nowSql, type StoreContext } from './context.js';
import { signalRecordFromRow } from './feature-values.js';
import { applyRecordWrite, workArrivalOf } from './records-sql.js';
import { rowLock } from './row-locks.js';
import { int8, parseStored } from './rows.js';
import type { SqlExecutor, SqlRow, WorkArrivals } from './sql-driver.js';
import { WORK_STATUS_COLUMNS, WORK_TABLES, workStatusFromRow, type WorkTable } from './work-tables.js';

const FREE = (alias: string): string => `(${alias}.lease_expires_at_ms IS NULL OR ${alias}.lease_expires_at_ms <= now_ms.ms)`;

/**
 * "The claim's lease was not given up" as the statements on a held item test it: `lease_owner IS NOT NULL`, written so
 * that PostgreSQL does not match it against the leased-items index's predicate. Those statements name their item by
 * its key; with the predicate matched the planner could (and, once the live path's statistics were taken, did) scan
 * the whole leased-items index for it instead of probing the key, and on PGlite (no autovacuum) that index keeps the
 * entry of every lease ever taken until a scan finds it dead: a recommendation's completion read 21 of its pages at
 * 2,500 trading candles, and more with every candle.
 */
export const HELD = (alias: string): string => `(${alias}.lease_owner IS NOT NULL) IS TRUE`;

const columnsOf = (table: WorkTable, alias: string): string => table.keyColumns.map((column) => `${alias}.${column}`).join(', ');

// Candidates: the oldest claimable items in the state, by (order key, id) as the memory store orders them.
function unorderedPick(table: WorkTable, s: string, state: string, lock: string): string {
  return `picked AS (
    SELECT ${columnsOf(table, 'w')} FROM ${s}.${table.table} w, now_ms
    WHERE w.state = ${state} AND w.available_at_ms <= now_ms.ms AND ${FREE('w')}
    ORDER BY w.${table.orderColumn}, ${table.idSql('w')} COLLATE "C"
    LIMIT $2
    ${lock})`;
}

// Ordered claims: walk the partitions that have items in the state (a loose index scan), take each one's
// oldest item in the state, and keep it only if it is free and due and nothing else of its partition is leased
// (a probe of the leased items' partial index per partition: OFFSET 0 keeps PostgreSQL from turning the NOT EXISTS
// into an anti join, which it planned as a scan of the whole table whenever its statistics were missing or old).
// The final lock re-checks state, lease and availability on the newest row version. `more` tells whether any
// item in the state was left (Claim.moreWaiting): the first one found beside the picked ones answers it.
function orderedPick(table: WorkTable, s: string, state: string, lock: string): string {
  const t = `${s}.${table.table}`;
  const keys = table.keyColumns.join(', ');
  return `partitions AS (
      (SELECT product_id, granularity FROM ${t} WHERE state = ${state} ORDER BY product_id, granularity LIMIT 1)
      UNION ALL
      SELECT next.product_id, next.granularity FROM partitions p, LATERAL (
        SELECT product_id, granularity FROM ${t}
        WHERE state = ${state} AND (product_id, granularity) > (p.product_id, p.granularity)
        ORDER BY product_id, granularity LIMIT 1) next
    ),
    heads AS (
      SELECT head.* FROM partitions p, LATERAL (
        SELECT ${columnsOf(table, 'h')}, h.product_id AS partition_product_id, h.granularity AS partition_granularity,
          h.available_at_ms, h.${table.orderColumn} AS order_key, ${table.idSql('h')} AS work_id
        FROM ${t} h WHERE h.state = ${state} AND h.product_id = p.product_id AND h.granularity = p.granularity
        ORDER BY h.${table.orderColumn}, ${table.idSql('h')} COLLATE "C" LIMIT 1) head
    ),
    eligible AS (
      SELECT ${keys} FROM heads, now_ms
      WHERE heads.available_at_ms <= now_ms.ms
        AND NOT EXISTS (SELECT 1 FROM ${t} x WHERE x.product_id = heads.partition_product_id AND x.granularity = heads.partition_granularity
                        AND x.lease_owner IS NOT NULL AND x.lease_expires_at_ms > now_ms.ms OFFSET 0)
      ORDER BY heads.order_key, heads.work_id COLLATE "C"
      LIMIT $2
    ),
    picked AS (
      SELECT ${columnsOf(table, 'w')} FROM ${t} w, now_ms
      WHERE (${columnsOf(table, 'w')}) IN (SELECT ${keys} FROM eligible)
        AND w.state = ${state} AND w.available_at_ms <= now_ms.ms AND ${FREE('w')}
      ${lock}),
    more AS (
      SELECT EXISTS (SELECT 1 FROM ${t} x WHERE x.state = ${state} AND (${columnsOf(table, 'x')}) NOT IN (SELECT ${keys} FROM picked)) AS more_waiting)`;
}

/** A state written into a claim's SQL as a literal (letters, digits and underscores: every state the stores use); any other goes as a parameter. */
const PLAIN_STATE = /^[A-Za-z0-9_]{1,64}$/;

/**
 * What a claim reads of each kind's record besides the queue columns (the claimed row's own columns, returned
 * by the claiming UPDATE: no second statement to load a stage's input), and how a row becomes the record.
 */
const CLAIMED_RECORDS: { readonly [K in WorkKind]: { readonly columns: string; fromRow(row: SqlRow): WorkRecords[K] } } = {
  candle: { columns: 't.open, t.high, t.low, t.close, t.volume, t.gap_filled, t.start_ms', fromRow: candleFromRow },
  signal: { columns: 't.record, t.feature_values', fromRow: (row) => parseStored(SignalSchema, signalRecordFromRow(row.record, row.feature_values), 'signal') },
  recommendation: { columns: 't.record', fromRow: (row) => parseStored(TradeRecommendationSchema, row.record, 'trade recommendation') },
};

/**
 * Claims up to `limit` items with one statement: candidates are locked with `FOR UPDATE SKIP LOCKED` (so
 * concurrent workers never take the same item; not on PGlite, one backend: see `rowLock`) and leased with a
 * fresh token from a global sequence. Each
 * claim carries its item's record ({@link Claim.record}), read by the same statement.
 * @internal
 */
export async function claim<K extends WorkKind>(context: StoreContext, request: ClaimRequest<K>): Promise<Claim<K>[]> {
  if (request.limit <= 0) return [];
  const ordered = request.ordered === true;
  // The state tested is the state spliced: a string, read once (a JavaScript caller could pass anything).
  const requested: unknown = request.state;
  const inlineState = typeof requested === 'string' && PLAIN_STATE.test(requested);
  const rows = await context.driver.query(
    claimSql(context, request.kind, ordered, inlineState ? (requested as string) : undefined),
    inlineState
      ? [nowParam(context), Math.floor(request.limit), request.workerId, Math.max(0, Math.round(request.leaseMs))]
      : [nowParam(context), Math.floor(request.limit), request.workerId, Math.max(0, Math.round(request.leaseMs)), request.state],
  );
  // One claim (the live path's): no sort, no entry per row.
  if (rows.length === 1) {
    const row = rows[0]!;
    int8(row.order_key, 'order_key'); // checked as when sorting
    return [claimFromRow(request, row, String(row.work_id))];
  }
  const claims = rows.map((row) => ({ row, orderKey: int8(row.order_key, 'order_key'), id: String(row.work_id) }));
  if (claims.length > 1) claims.sort((a, b) => a.orderKey - b.orderKey || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return claims.map(({ row, id }) => claimFromRow(request, row, id));
}

/**
 * Claim statements by schema and driver, then by kind, order and state (inlined; `$5` when passed as a parameter):
 * each text is built once.
 */
const CLAIM_SQL = new Map<string, Map<string, Map<WorkKind, { readonly unordered: Map<string, string>; readonly ordered: Map<string, string> }>>>();

/** The claim statement of a kind, ordered or not, for a state written into it (or `$5` when `state` is undefined). */
function claimSql(context: StoreContext, kind: WorkKind, ordered: boolean, state: string | undefined): string {
  const { s } = context;
  // The candidates' row locks keep concurrent workers of a server apart; PGlite runs each statement alone.
  const lock = rowLock(context, 'FOR UPDATE OF w SKIP LOCKED');
  // Looked up by the strings at hand: no key string per claim. The driver's name decides the row locks.
  let byDriver = CLAIM_SQL.get(s);
  if (byDriver === undefined) {
    byDriver = new Map();
    CLAIM_SQL.set(s, byDriver);
  }
  let byKind = byDriver.get(context.driver.name);
  if (byKind === undefined) {
    byKind = new Map();
    byDriver.set(context.driver.name, byKind);
  }
  let byOrder = byKind.get(kind);
  if (byOrder === undefined) {
    byOrder = { unordered: new Map(), ordered: new Map() };
    byKind.set(kind, byOrder);
  }
  const texts = ordered ? byOrder.ordered : byOrder.unordered;
  const key = state ?? '$5';
  let text = texts.get(key);
  if (text !== undefined) return text;
  const table = WORK_TABLES[kind];
  const join = table.keyColumns.map((column) => `t.${column} = picked.${column}`).join(' AND ');
  const stateSql = state === undefined ? '$5' : `'${state}'`;
  text = `WITH ${ordered ? 'RECURSIVE ' : ''}now_ms AS (SELECT ${nowSql(1)} AS ms),
     ${ordered ? orderedPick(table, s, stateSql, lock) : unorderedPick(table, s, stateSql, lock)}
     UPDATE ${s}.${table.table} t
     SET lease_owner = $3, lease_expires_at_ms = now_ms.ms + $4::bigint, fencing_token = nextval('${s}.fencing_token_seq')
     FROM picked, now_ms${ordered ? ', more' : ''}
     WHERE ${join}
     RETURNING ${table.idSql('t')} AS work_id, t.state, t.product_id, t.granularity, t.fencing_token, t.attempt,
               t.lease_expires_at_ms, t.${table.orderColumn} AS order_key, ${CLAIMED_RECORDS[kind].columns}${ordered ? ', more.more_waiting' : ''}`;
  // States are few (each stage claims its own); a caller inventing states only costs this cache its entries.
  if (texts.size < 1_000) texts.set(key, text);
  return text;
}

function claimFromRow<K extends WorkKind>(request: ClaimRequest<K>, row: SqlRow, id: string): Claim<K> {
  const records = CLAIMED_RECORDS[request.kind] as { fromRow(row: SqlRow): WorkRecords[K] };
  return {
    kind: request.kind,
    id,
    state: String(row.state) as WorkStates[K],
    partitionKey: `${String(row.product_id)}/${String(row.granularity)}`,
    workerId: request.workerId,
    fencingToken: int8(row.fencing_token, 'fencing_token'),
    attempt: Number(row.attempt),
    leaseExpiresAtMs: int8(row.lease_expires_at_ms, 'lease_expires_at_ms'),
    record: records.fromRow(row),
    ...(typeof row.more_waiting === 'boolean' ? { moreWaiting: row.more_waiting } : {}),
  };
}

/** The refusal of a claim that no longer holds its item (another holder, another state, or gone). @internal */
export function leaseLost(claim: Claim): TradepipeError {
  return new TradepipeError('lease_lost', 'The claim no longer holds this work item', {
    details: { kind: claim.kind, id: claim.id, fencingToken: claim.fencingToken },
  });
}

/**
 * Locks the claimed item if the claim still holds it (same token, same state, lease not given up) and
 * returns its attempt count; throws `lease_lost` otherwise.
 */
async function lockHeld(context: StoreContext, executor: SqlExecutor, claim: Claim): Promise<number> {
  const table = WORK_TABLES[claim.kind];
  const key = table.keyParams(claim.id);
  if (key === undefined) throw leaseLost(claim);
  const rows = await executor.query<{ attempt: number }>(
    `SELECT w.attempt FROM ${context.s}.${table.table} w
     WHERE ${table.keyCondition('w', 3)} AND w.fencing_token = $1 AND w.state = $2 AND ${HELD('w')}
     FOR UPDATE`,
    [claim.fencingToken, claim.state, ...key],
  );
  if (rows[0] === undefined) throw leaseLost(claim);
  return Number(rows[0].attempt);
}

/** What a settle writes into a held item's queue columns: its state, reason, delay, attempt and error. @internal */
export interface Settle {
  /** The item's new state. */
  readonly state: string;
  /** The reason to store; `undefined` keeps the stored one (retries, releases). */
  readonly reason?: string | null;
  /** How long until the item is claimable again, ms. */
  readonly delayMs: number;
  /** The attempt count to store; `undefined` keeps the stored one. */
  readonly attempt?: number;
  /** The failure to record as the item's last error. */
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * The states a one-statement settle of `claim` (and its record writes) moves work into, by queue table: the
 * item's new state and each written record's. An item freed in an ordered queue may also unblock its partition
 * in other states; the workers of ordered stages wait for any state, so they wake too.
 */
export function arrivalsOf(claim: Claim, state: string | undefined, writes: readonly RecordWrite[], leasedWrite = -1): WorkArrivals {
  // No state (the item handed on, still leased): its table's waiters stay asleep unless a write arrives there; nor
  // does the write at `leasedWrite` (inserted leased) wake anyone.
  const arrivals = new Map<string, string[]>([[WORK_TABLES[claim.kind].table, state === undefined ? [] : [state]]]);
  for (let index = 0; index < writes.length; index += 1) {
    const arrival = workArrivalOf(writes[index]!);
    if (arrival === undefined) continue;
    const states = arrivals.get(arrival.table);
    // The leased write's table is named (its notification is then known to wake nobody there), its state not.
    if (index === leasedWrite) {
      if (states === undefined) arrivals.set(arrival.table, []);
    } else if (states === undefined) arrivals.set(arrival.table, [arrival.state]);
    else if (!states.includes(arrival.state)) states.push(arrival.state);
  }
  return arrivals;
}

/** Frees a held item with its new state, availability and bookkeeping; returns when it becomes claimable. @throws TradepipeError `lease_lost` @internal */
export async function settle(context: StoreContext, executor: SqlExecutor, claim: Claim, change: Settle, now: number | null): Promise<number> {
  const table = WORK_TABLES[claim.kind];
  const key = table.keyParams(claim.id);
  if (key === undefined) throw leaseLost(claim);
  const rows = await executor.query<{ available_at_ms: string }>(
    `UPDATE ${context.s}.${table.table} w SET
       state = $1,
       state_reason = CASE WHEN $2::boolean THEN $3 ELSE w.state_reason END,
       attempt = coalesce($4::integer, w.attempt),
       last_error_code = coalesce($5, w.last_error_code),
       last_error_message = CASE WHEN $5::text IS NULL THEN w.last_error_message ELSE $6 END,
       available_at_ms = n.ms + $7::bigint, updated_at_ms = n.ms,
       lease_owner = NULL, lease_expires_at_ms = NULL,
       dead_lettered_from = CASE WHEN $1 = 'DEAD_LETTER' THEN (CASE WHEN w.state = 'DEAD_LETTER' THEN w.dead_lettered_from ELSE w.state END) END
     FROM (SELECT ${nowSql(8)} AS ms) n
     WHERE w.fencing_token = $9 AND w.state = $10 AND ${HELD('w')} AND ${table.keyCondition('w', 11)}
     RETURNING w.available_at_ms`,
    [
      change.state,
      change.reason !== undefined,
      change.reason ?? null,
      change.attempt ?? null,
      change.error?.code ?? null,
      change.error?.message ?? null,
      Math.max(0, Math.round(change.delayMs)),
      now,
      claim.fencingToken,
      claim.state,
      ...key,
    ],
    { arrivals: arrivalsOf(claim, change.state, []) },
  );
  if (rows[0] === undefined) throw leaseLost(claim);
  return int8(rows[0].available_at_ms, 'available_at_ms');
}

/** Gives a held item back, claimable after `delayMs`, without counting an attempt. @throws TradepipeError `lease_lost` @internal */
export async function release(context: StoreContext, held: Claim, delayMs: number): Promise<void> {
  await settle(context, context.driver, held, { state: held.state, delayMs: Math.max(0, delayMs) }, nowParam(context));
}

/**
 * Extends a held lease to `leaseMs` from now, keeping its fencing token.
 * @throws TradepipeError `lease_lost`
 * @internal
 */
export async function renewLease<K extends WorkKind>(context: StoreContext, held: Claim<K>, leaseMs: number): Promise<Claim<K>> {
  const table = WORK_TABLES[held.kind];
  const key = table.keyParams(held.id);
  if (key === undefined) throw leaseLost(held);
  const rows = await context.driver.query<{ lease_expires_at_ms: string }>(
    `UPDATE ${context.s}.${table.table} w SET lease_expires_at_ms = n.ms + $2::bigint
     FROM (SELECT ${nowSql(1)} AS ms) n
     WHERE w.fencing_token = $3 AND w.state = $4 AND ${HELD('w')} AND ${table.keyCondition('w', 5)}
     RETURNING w.lease_expires_at_ms`,
    [nowParam(context), Math.max(1, Math.round(leaseMs)), held.fencingToken, held.state, ...key],
  );
  if (rows[0] === undefined) throw leaseLost(held);
  return { ...held, leaseExpiresAtMs: int8(rows[0].lease_expires_at_ms, 'lease_expires_at_ms') };
}

/**
 * Records a failed attempt: back in its state after the backoff while attempts remain and the failure is
 * retryable, otherwise to the terminal state with the terminal writes, atomically.
 * @throws TradepipeError `validation_failed`, `lease_lost`, `record_conflict`
 * @internal
 */
export async function fail<K extends WorkKind>(context: StoreContext, held: Claim<K>, outcome: FailureOutcome<K>): Promise<FailureResult> {
  const writes: RecordWrite[] = (outcome.terminalWrites ?? []).map(parseRecordWrite);
  const now = nowParam(context);
  return context.driver.transaction(async (executor) => {
    const attempt = (await lockHeld(context, executor, held)) + 1;
    if (outcome.retryable && attempt < outcome.maxAttempts) {
      const availableAtMs = await settle(context, executor, held, { state: held.state, delayMs: Math.max(0, outcome.backoffMs), attempt, error: outcome.error }, now);
      return { kind: 'retry_scheduled', availableAtMs };
    }
    const reason = outcome.terminalReason ?? outcome.error.message;
    await settle(context, executor, held, { state: outcome.terminalState, reason, delayMs: 0, attempt, error: outcome.error }, now);
    for (const write of writes) await applyRecordWrite(context, executor, write, now);
    return { kind: 'terminal' };
  });
}

/** The queue bookkeeping of one item. @internal */
export async function getWorkStatus<K extends WorkKind>(context: StoreContext, kind: K, id: string): Promise<WorkStatus<WorkStates[K]> | undefined> {
  const table = WORK_TABLES[kind];
  const key = table.keyParams(id);
  if (key === undefined) return undefined;
  const rows = await context.driver.query(`SELECT ${WORK_STATUS_COLUMNS} FROM ${context.s}.${table.table} w WHERE ${table.keyCondition('w', 1)}`, key);
  return rows[0] === undefined ? undefined : workStatusFromRow<WorkStates[K]>(rows[0]);
}

/** How many items of a kind are in each state. @internal */
export async function countByState<K extends WorkKind>(context: StoreContext, kind: K): Promise<Partial<Record<WorkStates[K], number>>> {
  const rows = await context.driver.query<{ state: string; count: string }>(
    `SELECT state, count(*) AS count FROM ${context.s}.${WORK_TABLES[kind].table} GROUP BY state`,
  );
  return Object.fromEntries(rows.map((row) => [row.state, int8(row.count, 'count')])) as Partial<Record<WorkStates[K], number>>;
}
