import {
  ExposureReservationSchema,
  OrderSchema,
  RiskApprovalSchema,
  RiskAssessmentSchema,
  TERMINAL_ORDER_STATUSES,
  TradepipeError,
  canonicalJson,
  checkExposureFits,
  checkOrderWithinApproval,
  parseWith,
  type ConsumeApprovalResult,
  type ExposureReservation,
  type Order,
  type RiskApproval,
  type RiskAssessment,
  type RiskDecisionRecord,
  type RiskDecisionResult,
} from '@tradepipe/core';
import { nowParam, nowSql, perContext, type StoreContext } from './context.js';
import { ORDER_COLUMNS, orderValues } from './orders-sql.js';
import { positionsFromJson, positionsJsonSql } from './positions-sql.js';
import { errorCodeOf } from './db-errors.js';
import { applyRecordWrite, recordConflict, recordInsertPart, storedHash } from './records-sql.js';
import { rowLock } from './row-locks.js';
import { decimalColumn, int8, jsonRows, parseStored } from './rows.js';
import type { SqlExecutor, SqlRow } from './sql-driver.js';

const TERMINAL_LIST = TERMINAL_ORDER_STATUSES.map((status) => `'${status}'`).join(', ');

function reservationFromRow(row: SqlRow): ExposureReservation {
  return parseStored(
    ExposureReservationSchema,
    {
      approvalId: row.approval_id,
      productId: row.product_id,
      side: row.side,
      quoteAmount: decimalColumn(row.quote_amount, 'quote_amount'),
      baseSize: decimalColumn(row.base_size, 'base_size'),
      reservedAtMs: int8(row.reserved_at_ms, 'reserved_at_ms'),
      expiresAtMs: int8(row.expires_at_ms, 'expires_at_ms'),
    },
    'exposure reservation',
  );
}

/**
 * Reservations still holding exposure at `nowMs`: unconsumed and unexpired, or consumed by an order that
 * has not ended.
 * @internal
 */
export async function activeReservations(context: StoreContext, executor: SqlExecutor, nowMs: number): Promise<ExposureReservation[]> {
  const rows = await executor.query(`SELECT r.* ${activeReservationsFrom(context.s, '$1')} ORDER BY r.seq`, [nowMs]);
  return rows.map(reservationFromRow);
}

/**
 * The FROM and WHERE of the reservations active at `nowSqlText` (SQL: an epoch-ms value). The unreleased ones are
 * walked one at a time in seq order (each step the next entry of the active-reservations index): an index scan,
 * which marks the entries of reservations released since as dead as it passes them, where the planner chose a
 * bitmap scan, which never does, so on PGlite (no autovacuum) every reservation ever released was visited with its
 * heap page. The order of a consumed reservation is looked up by its key (a join was planned as a hash of every order).
 */
function activeReservationsFrom(s: string, nowSqlText: string): string {
  return `FROM (WITH RECURSIVE walk AS (
         (SELECT a.* FROM ${s}.exposure_reservations a WHERE a.released_at_ms IS NULL ORDER BY a.seq LIMIT 1)
         UNION ALL
         SELECT next.* FROM walk w, LATERAL (
           SELECT a.* FROM ${s}.exposure_reservations a WHERE a.released_at_ms IS NULL AND a.seq > w.seq ORDER BY a.seq LIMIT 1) next)
       SELECT * FROM walk) r
     WHERE (r.order_id IS NULL AND r.expires_at_ms > ${nowSqlText})
        OR (r.order_id IS NOT NULL AND (SELECT o.status FROM ${s}.orders o WHERE o.id = r.order_id) NOT IN (${TERMINAL_LIST}))`;
}

/** SQL: {@link activeReservations} at `nowSqlText` as one JSON array of rows, numbers as their exact text. */
function activeReservationsJsonSql(s: string, nowSqlText: string): string {
  return `SELECT coalesce(json_agg(json_build_array(r.approval_id, r.product_id, r.side, r.quote_amount::text, r.base_size::text,
      r.reserved_at_ms::text, r.expires_at_ms::text) ORDER BY r.seq), '[]'::json)
    ${activeReservationsFrom(s, nowSqlText)}`;
}

/** The reservations {@link activeReservationsJsonSql} read. */
function reservationsFromJson(value: unknown): ExposureReservation[] {
  return jsonRows(value, 7, 'exposure reservations').map(([approvalId, productId, side, quoteAmount, baseSize, reservedAtMs, expiresAtMs]) =>
    reservationFromRow({ approval_id: approvalId, product_id: productId, side, quote_amount: quoteAmount, base_size: baseSize, reserved_at_ms: reservedAtMs, expires_at_ms: expiresAtMs }),
  );
}

/** The order-intent statement of {@link consumeApproval}: the order's `valueCount` columns first, then the store's now and the approval's id. */
function consumeSql(context: StoreContext, valueCount: number, refuses = false): string {
  const at = valueCount;
  return `WITH kill AS MATERIALIZED (SELECT kill_switch_engaged FROM ${context.s}.risk_state WHERE id = 1 ${rowLock(context, 'FOR SHARE')}),
         now_ms AS MATERIALIZED (SELECT ${nowSql(at + 1)} AS ms FROM (SELECT count(*) FROM kill) AS locked),
         inserted AS (
           INSERT INTO ${context.s}.orders (${ORDER_COLUMNS.join(', ')})
           SELECT ${ORDER_COLUMNS.map((_, index) => `$${index + 1}`).join(', ')} FROM now_ms
           ON CONFLICT DO NOTHING RETURNING id),
         consumed AS (
           UPDATE ${context.s}.risk_approvals SET consumed_at_ms = (SELECT ms FROM now_ms), consumed_by_order_id = (SELECT id FROM inserted)
           WHERE id = $${at + 2} AND EXISTS (SELECT 1 FROM inserted)),
         reserved AS (
           UPDATE ${context.s}.exposure_reservations SET order_id = (SELECT id FROM inserted)
           WHERE approval_id = $${at + 2} AND EXISTS (SELECT 1 FROM inserted))
       SELECT (SELECT kill_switch_engaged FROM kill) AS engaged, (SELECT ms FROM now_ms) AS now_ms, (SELECT count(*) FROM inserted) AS inserted${
         refuses
           ? `,
         CASE WHEN $${at + 3}::boolean AND (SELECT kill_switch_engaged FROM kill) IS TRUE THEN ${context.s}.refuse('kill_switch_engaged')
              WHEN greatest((SELECT ms FROM now_ms), coalesce($${at + 4}::bigint, 0)) >= $${at + 5}::bigint THEN ${context.s}.refuse('approval_expired')
              WHEN (SELECT count(*) FROM inserted) <> 1 THEN ${context.s}.refuse('approval_consumed') END AS refused`
           : ''
       }`;
}

const CONSUME_SQL = perContext((context) => consumeSql(context, ORDER_COLUMNS.length));

/**
 * {@link CONSUME_SQL} that refuses itself (TP001, its reason the check's error code) where consumeApproval's checks
 * after it would throw, in their order: a BUY under the kill switch (`$n+3`: the order is a BUY), an expired
 * approval (at the later of the store's now and `$n+4`, against `$n+5`), an order already recorded.
 */
const CONSUME_REFUSING_SQL = perContext((context) => consumeSql(context, ORDER_COLUMNS.length, true));

/** SQLSTATE of the store's `refuse(reason)`. */
const REFUSED = 'TP001';

const APPROVAL_SQL = perContext((context) => `SELECT record FROM ${context.s}.risk_approvals WHERE recommendation_id = $1`);
const ASSESSMENT_SQL = perContext((context) => `SELECT record FROM ${context.s}.risk_assessments WHERE recommendation_id = $1`);
const LOCK_APPROVAL_SQL = perContext(
  (context) => `SELECT record, consumed_at_ms FROM ${context.s}.risk_approvals WHERE recommendation_id = $1 ${rowLock(context, 'FOR UPDATE')}`,
);

/** A risk decision's first read: the recommendation's stored assessment and the store's now, with the exposure check's positions and reservations or without. */
function decisionReadSql(context: StoreContext, checksExposure: boolean): string {
  return `SELECT (SELECT record FROM ${context.s}.risk_assessments WHERE recommendation_id = $1) AS record, n.ms
         ${checksExposure ? `, (${positionsJsonSql(context.s)}) AS positions, (${activeReservationsJsonSql(context.s, 'n.ms')}) AS reservations` : ''}
       FROM (SELECT ${nowSql(2)} AS ms) n`;
}

const DECISION_READ_SQL = perContext((context) => decisionReadSql(context, false));
const DECISION_READ_WITH_EXPOSURE_SQL = perContext((context) => decisionReadSql(context, true));

/** The approval recorded for a recommendation, if any. @internal */
export async function approvalFor(context: StoreContext, executor: SqlExecutor, recommendationId: string): Promise<RiskApproval | undefined> {
  const [row] = await executor.query(APPROVAL_SQL(context), [recommendationId]);
  return row === undefined ? undefined : parseStored(RiskApprovalSchema, row.record, 'risk approval');
}

/** The assessment recorded for a recommendation, if any. @internal */
export async function assessmentFor(context: StoreContext, recommendationId: string): Promise<RiskAssessment | undefined> {
  const [row] = await context.driver.query(ASSESSMENT_SQL(context), [recommendationId]);
  return row === undefined ? undefined : parseStored(RiskAssessmentSchema, row.record, 'risk assessment');
}

/**
 * Records a risk decision. Every decision locks the single risk-state row first, so decisions run one at a
 * time across replicas: the exposure check sees every reservation committed before it, and the
 * assessment, approval and reservation are written in the same transaction.
 * @throws TradepipeError `validation_failed`, `exposure_limit_exceeded`, `record_conflict`
 * @internal
 */
export async function recordRiskDecision(context: StoreContext, decision: RiskDecisionRecord): Promise<RiskDecisionResult> {
  const assessment = parseWith(RiskAssessmentSchema, decision.assessment, 'risk assessment');
  const approval = decision.approval === undefined ? undefined : parseWith(RiskApprovalSchema, decision.approval, 'risk approval');
  const reservation = approval === undefined ? undefined : parseWith(ExposureReservationSchema, decision.reservation, 'exposure reservation');
  return context.driver.transaction(async (executor) => {
    // The lock alone: every read below runs in a later statement, so with a snapshot that sees every decision
    // committed before the lock was granted. PGlite is one session whose driver runs each transaction alone (under
    // PGlite's transaction lock, which its single statements take too): decisions are already serialized there,
    // and a row lock of the same session would block nothing: one round trip fewer.
    if (context.driver.name !== 'pglite') await executor.query(`SELECT 1 FROM ${context.s}.risk_state WHERE id = 1 FOR UPDATE`);
    // With an approval to record, the same statement reads what its exposure check needs: every position and the
    // reservations active at its now (one snapshot, taken after the lock).
    const checksExposure = approval !== undefined && reservation !== undefined;
    const [first] = await executor.query<{ record: unknown; ms: string; positions?: unknown; reservations?: unknown }>(
      (checksExposure ? DECISION_READ_WITH_EXPOSURE_SQL : DECISION_READ_SQL)(context),
      [assessment.recommendationId, nowParam(context)],
    );
    if (first?.record !== null && first?.record !== undefined) {
      const existing = parseStored(RiskAssessmentSchema, first.record, 'risk assessment');
      const existingApproval = await approvalFor(context, executor, assessment.recommendationId);
      return { status: 'existing', assessment: existing, ...(existingApproval === undefined ? {} : { approval: existingApproval }) };
    }
    const now = nowParam(context);
    if (approval === undefined || reservation === undefined) {
      await applyRecordWrite(context, executor, { type: 'assessment', record: assessment }, now);
      return { status: 'recorded', assessment };
    }
    const nowMs = Number(first?.ms);
    const limits = decision.limits ?? {};
    const ordersInWindow = limits.maxOrders === undefined ? undefined : await countOrdersInWindow(context, executor, limits.maxOrders.sinceMs, nowMs);
    checkExposureFits({
      reservation,
      positions: positionsFromJson(first?.positions),
      activeReservations: reservationsFromJson(first?.reservations),
      markPrices: decision.markPrices ?? {},
      limits,
      ...(ordersInWindow === undefined ? {} : { ordersInWindow }),
    });
    await writeDecision(context, executor, { assessment, approval, reservation }, now);
    return { status: 'recorded', assessment, approval };
  });
}

/**
 * Writes an approved decision in one statement: the assessment (first write wins), the approval (refused if
 * its id exists) and, only with a new approval, its reservation. A refusal throws, rolling all of it back, in
 * the order the writes were checked one by one before.
 * @throws TradepipeError `record_conflict`
 */
async function writeDecision(
  context: StoreContext,
  executor: SqlExecutor,
  records: { readonly assessment: RiskAssessment; readonly approval: RiskApproval; readonly reservation: ExposureReservation },
  now: number | null,
): Promise<void> {
  const { assessment, approval, reservation } = records;
  const params: unknown[] = [now];
  const write = { type: 'assessment', record: assessment } as const;
  const part = recordInsertPart(context, write, { index: 0, params });
  const at = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const approvalValues = [
    approval.id,
    approval.recommendationId,
    approval.clientOrderId,
    approval.productId,
    approval.side,
    approval.maxQuoteAmount ?? null,
    approval.maxBaseSize ?? null,
    approval.issuedAtMs,
    approval.expiresAtMs,
  ].map((value) => at(value));
  const approvalRecord = at(JSON.stringify(approval));
  const reservationValues = [reservation.approvalId, reservation.productId, reservation.side, reservation.quoteAmount, reservation.baseSize, reservation.reservedAtMs, reservation.expiresAtMs].map(
    (value) => at(value),
  );
  // On PGlite (transactions run alone: a record this statement did not insert is in its snapshot) the statement
  // refuses itself where the checks below would throw, in their order, and commits with its exchange.
  const refuses = context.driver.name === 'pglite';
  const [row] = await executor.query<{ inserted: string; stored: string | null; approval_inserted: string }>(
    `WITH now_ms AS (SELECT ${nowSql(1)} AS ms), ${part.cte},
       approval_row AS (
         INSERT INTO ${context.s}.risk_approvals (id, recommendation_id, client_order_id, product_id, side, max_quote_amount, max_base_size,
           issued_at_ms, expires_at_ms, record)
         VALUES (${approvalValues.join(', ')}, ${approvalRecord}::jsonb) ON CONFLICT DO NOTHING RETURNING 1 AS one),
       reservation_row AS (
         INSERT INTO ${context.s}.exposure_reservations (approval_id, product_id, side, quote_amount, base_size, reserved_at_ms, expires_at_ms)
         SELECT ${reservationValues.join(', ')} FROM approval_row RETURNING 1 AS one)
     SELECT ${part.insertedSql} AS inserted, ${part.storedSql} AS stored, (SELECT count(*) FROM approval_row) AS approval_inserted,
       (SELECT count(*) FROM reservation_row) AS reservation_inserted${
         refuses
           ? `, CASE WHEN ${part.unsettledSql} THEN ${context.s}.refuse('assessment')
                     WHEN (SELECT count(*) FROM approval_row) <> 1 THEN ${context.s}.refuse('approval') END AS refused`
           : ''
       }`,
    params,
    refuses ? { commits: true } : undefined,
  ).catch((error: unknown) => {
    if (!refuses || errorCodeOf(error) !== REFUSED) throw error;
    if ((error as { message?: unknown }).message === 'assessment') throw recordConflict(write);
    throw approvalConflict(approval);
  });
  if (Number(row?.inserted) !== 1) {
    const stored = row?.stored ?? (await storedHash(context, executor, write));
    if (stored !== part.hash) throw recordConflict(write);
  }
  if (Number(row?.approval_inserted) !== 1) throw approvalConflict(approval);
}

/** The refusal of an approval whose id exists for another decision. */
function approvalConflict(approval: RiskApproval): TradepipeError {
  return new TradepipeError('record_conflict', 'An approval with this id exists for another decision', { details: { approvalId: approval.id } });
}

/** Orders created since `sinceMs` plus approvals not yet consumed (unexpired, unreleased, no order): the order-count limit's view. */
async function countOrdersInWindow(context: StoreContext, executor: SqlExecutor, sinceMs: number, nowMs: number): Promise<number> {
  const [row] = await executor.query(
    `SELECT (SELECT count(*) FROM ${context.s}.orders WHERE created_at_ms >= $1)
          + (SELECT count(*) FROM ${context.s}.exposure_reservations WHERE released_at_ms IS NULL AND order_id IS NULL AND expires_at_ms > $2) AS total`,
    [sinceMs, nowMs],
  );
  return Number(row?.total ?? 0);
}

/** Whether an order keeps within its approval ({@link checkOrderWithinApproval} would not throw). */
function isWithinApproval(approval: RiskApproval, order: Order): boolean {
  try {
    checkOrderWithinApproval(approval, order);
    return true;
  } catch {
    return false;
  }
}

/**
 * Consumes an approval and records the order intent in one transaction, holding the approval's row lock (on
 * PGlite the transaction runs alone instead: see `rowLock`): of two concurrent consumers one records the order
 * and the other finds it consumed.
 * @throws TradepipeError `validation_failed`, `approval_invalid`, `approval_consumed`, `approval_expired`, `kill_switch_engaged`
 * @internal
 */
export async function consumeApproval(context: StoreContext, approval: RiskApproval, order: Order): Promise<ConsumeApprovalResult> {
  const parsedOrder = parseWith(OrderSchema, order, 'order');
  const details = { approvalId: approval.id, recommendationId: approval.recommendationId };
  return context.driver.transaction(async (executor) => {
    const [row] = await executor.query(LOCK_APPROVAL_SQL(context), [approval.recommendationId]);
    const stored = row === undefined ? undefined : parseStored(RiskApprovalSchema, row.record, 'risk approval');
    if (stored === undefined || canonicalJson(stored) !== canonicalJson(approval)) {
      throw new TradepipeError('approval_invalid', 'The approval does not match the one risk recorded', { details });
    }
    if (row?.consumed_at_ms !== null) throw new TradepipeError('approval_consumed', 'The approval was already used', { details });
    // One statement, after the approval's lock (so with a snapshot taken after it): the kill switch read FOR SHARE
    // on a server (not on PGlite: see `rowLock`) (it waits for a kill switch being engaged right now, and makes an engagement wait for this intent), then
    // the store's now, then the order intent inserted, the approval marked consumed and its reservation tied to
    // the order. The insert reads the now, which reads the locked kill-switch row, so they run in that order. A
    // refusal below rolls all of it back, so the checks keep their order and their answers.
    const values = orderValues(parsedOrder);
    // On PGlite (no lock to wait for: see `rowLock`), an order within its approval is recorded by a statement that
    // checks the rest itself and commits with its exchange: the answers and their order as below.
    if (context.driver.name === 'pglite' && values.length === ORDER_COLUMNS.length && isWithinApproval(stored, parsedOrder)) {
      try {
        await executor.query(
          CONSUME_REFUSING_SQL(context),
          [...values, nowParam(context), stored.id, stored.side === 'BUY', context.clock?.nowMs() ?? null, stored.expiresAtMs],
          { commits: true },
        );
      } catch (error) {
        if (errorCodeOf(error) !== REFUSED) throw error;
        const reason = (error as { message?: unknown }).message;
        if (reason === 'kill_switch_engaged') throw new TradepipeError('kill_switch_engaged', 'The kill switch is engaged: no new exposure is placed', { details });
        if (reason === 'approval_expired') throw new TradepipeError('approval_expired', 'The approval has expired', { details });
        throw new TradepipeError('approval_consumed', 'An order for this recommendation exists already', { details });
      }
      return { status: 'consumed', order: parsedOrder };
    }
    const [result] = await executor.query<{ engaged: boolean | null; now_ms: string; inserted: string }>(
      values.length === ORDER_COLUMNS.length ? CONSUME_SQL(context) : consumeSql(context, values.length),
      [...values, nowParam(context), stored.id],
    );
    if (stored.side === 'BUY' && result?.engaged === true) {
      throw new TradepipeError('kill_switch_engaged', 'The kill switch is engaged: no new exposure is placed', { details });
    }
    // An injected clock was read into the statement's parameters before it waited for the kill-switch lock (a risk
    // decision holding it may have freed this approval's room as expired meanwhile): the expiry is checked at the
    // clock's time after the wait too. The database's clock is read after the lock already.
    const nowMs = context.clock === undefined ? Number(result?.now_ms) : Math.max(Number(result?.now_ms), context.clock.nowMs());
    if (nowMs >= stored.expiresAtMs) throw new TradepipeError('approval_expired', 'The approval has expired', { details });
    checkOrderWithinApproval(stored, parsedOrder);
    if (Number(result?.inserted) !== 1) {
      throw new TradepipeError('approval_consumed', 'An order for this recommendation exists already', { details });
    }
    return { status: 'consumed', order: parsedOrder };
  });
}
