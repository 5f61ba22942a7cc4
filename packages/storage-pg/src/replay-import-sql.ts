import {
  BalanceSchema,
  ExposureReservationSchema,
  FillSchema,
  LlmValidationSchema,
  OrderSchema,
  PositionSchema,
  ProductSchema,
  RiskApprovalSchema,
  RiskAssessmentSchema,
  RiskStateSchema,
  TradepipeError,
  contentHash,
  type Balance,
  type RiskState,
  parseWith,
  type ReplayImport,
  type WorkKind,
} from '@tradepipe/core';
import { prepareBulk, writePreparedBulk, type PreparedBulk } from './bulk-sql.js';
import type { StoreContext } from './context.js';
import { ORDER_COLUMNS, orderValues } from './orders-sql.js';
import { int8, numericText } from './rows.js';
import type { SqlExecutor } from './sql-driver.js';
import { WORK_TABLES } from './work-tables.js';

/** A column of a multi-row write: its name and the SQL type its JSON field is read as (`jsonb` keeps the value). */
type Column = readonly [name: string, type: string];

/** The value of a column read from one JSON array element `e.value`. */
const fieldSql = ([name, type]: Column): string => (type === 'jsonb' ? `e.value->'${name}'` : `(e.value->>'${name}')::${type}`);

/**
 * One multi-row INSERT of `rows` (objects keyed by column name), sent as one JSON array and inserted in its order
 * (identity columns, e.g. validations' `seq`, number them as one-by-one inserts would).
 * @returns rows inserted
 */
async function insertRows(context: StoreContext, executor: SqlExecutor, table: string, columns: readonly Column[], rows: readonly Record<string, unknown>[], onConflict = ''): Promise<number> {
  if (rows.length === 0) return 0;
  const [counted] = await executor.query<{ count: string }>(
    `WITH written AS (
       INSERT INTO ${context.s}.${table} (${columns.map(([name]) => name).join(', ')})
       SELECT ${columns.map(fieldSql).join(', ')} FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(value, position) ORDER BY e.position
       ${onConflict} RETURNING 1)
     SELECT count(*) AS count FROM written`,
    [JSON.stringify(rows)],
  );
  return int8(counted?.count ?? '0', 'count');
}

const upsert = (key: string, columns: readonly Column[]): string =>
  `ON CONFLICT (${key}) DO UPDATE SET ${columns.filter(([name]) => name !== key).map(([name]) => `${name} = EXCLUDED.${name}`).join(', ')}`;

const WORK_STATUS: readonly Column[] = [
  ['state', 'text'], ['state_reason', 'text'], ['attempt', 'integer'], ['last_error_code', 'text'], ['last_error_message', 'text'],
  ['available_at_ms', 'bigint'], ['updated_at_ms', 'bigint'], ['dead_lettered_from', 'text'],
];

/** Replaces the work bookkeeping of stored items of one kind (leases cleared: nothing holds them). */
async function updateStatuses(context: StoreContext, executor: SqlExecutor, kind: WorkKind, statuses: ReplayImport['statuses']): Promise<void> {
  const mine = statuses.filter((entry) => entry.kind === kind);
  if (mine.length === 0) return;
  const table = WORK_TABLES[kind];
  const keys: Column[] = kind === 'candle' ? [['product_id', 'text'], ['granularity', 'text'], ['start_ms', 'bigint']] : [['id', 'text']];
  const rows = mine.map(({ id, status, deadLetteredFrom }) => {
    const key = table.keyParams(id);
    if (key === undefined) throw new TradepipeError('validation_failed', 'A replayed work item has an invalid id', { details: { kind, id } });
    return {
      ...Object.fromEntries(keys.map(([name], index) => [name, key[index]])),
      state: status.state, state_reason: status.reason ?? null, attempt: status.attempt, last_error_code: status.lastError?.code ?? null,
      last_error_message: status.lastError?.message ?? null, available_at_ms: status.availableAtMs, updated_at_ms: status.updatedAtMs,
      dead_lettered_from: status.state === 'DEAD_LETTER' ? (deadLetteredFrom ?? null) : null,
    };
  });
  const [counted] = await executor.query<{ count: string }>(
    `WITH input AS (SELECT ${[...keys, ...WORK_STATUS].map((column) => `${fieldSql(column)} AS ${column[0]}`).join(', ')} FROM jsonb_array_elements($1::jsonb) AS e(value)),
       updated AS (
         UPDATE ${context.s}.${table.table} t SET ${WORK_STATUS.map(([name]) => `${name} = i.${name}`).join(', ')}, lease_owner = NULL, lease_expires_at_ms = NULL
         FROM input i WHERE ${keys.map(([name]) => `t.${name} = i.${name}`).join(' AND ')} RETURNING 1)
     SELECT count(*) AS count FROM updated`,
    [JSON.stringify(rows)],
  );
  if (int8(counted?.count ?? '0', 'count') !== rows.length) {
    throw new TradepipeError('storage_failed', 'A replayed work item to update is not stored', { details: { kind, operation: 'importReplay' } });
  }
}

const PRODUCT: readonly Column[] = [
  ['product_id', 'text'], ['base_currency', 'text'], ['quote_currency', 'text'], ['base_increment', 'numeric'], ['quote_increment', 'numeric'],
  ['price_increment', 'numeric'], ['base_min_size', 'numeric'], ['base_max_size', 'numeric'], ['quote_min_size', 'numeric'], ['quote_max_size', 'numeric'],
  ['status', 'text'], ['price', 'numeric'],
];
const VALIDATION: readonly Column[] = [['id', 'text'], ['recommendation_id', 'text'], ['validator', 'text'], ['decision', 'text'], ['validated_at_ms', 'bigint'], ['record', 'jsonb'], ['content_hash', 'text']];
const ASSESSMENT: readonly Column[] = [['recommendation_id', 'text'], ['id', 'text'], ['product_id', 'text'], ['decision', 'text'], ['assessed_at_ms', 'bigint'], ['record', 'jsonb'], ['content_hash', 'text']];
const APPROVAL: readonly Column[] = [
  ['id', 'text'], ['recommendation_id', 'text'], ['client_order_id', 'text'], ['product_id', 'text'], ['side', 'text'], ['max_quote_amount', 'numeric'],
  ['max_base_size', 'numeric'], ['issued_at_ms', 'bigint'], ['expires_at_ms', 'bigint'], ['record', 'jsonb'], ['consumed_at_ms', 'bigint'], ['consumed_by_order_id', 'text'],
];
const RESERVATION: readonly Column[] = [
  ['approval_id', 'text'], ['product_id', 'text'], ['side', 'text'], ['quote_amount', 'numeric'], ['base_size', 'numeric'], ['reserved_at_ms', 'bigint'],
  ['expires_at_ms', 'bigint'], ['order_id', 'text'], ['released_at_ms', 'bigint'],
];
const ORDER_TYPES: Readonly<Record<string, string>> = { quote_size: 'numeric', base_size: 'numeric', limit_price: 'numeric', filled_base_size: 'numeric', filled_quote_value: 'numeric', average_fill_price: 'numeric', total_fees: 'numeric', created_at_ms: 'bigint', updated_at_ms: 'bigint', submitted_at_ms: 'bigint', completed_at_ms: 'bigint' };
const ORDER: readonly Column[] = ORDER_COLUMNS.map((name) => [name, ORDER_TYPES[name] ?? 'text'] as const);
const FILL: readonly Column[] = [
  ['id', 'text'], ['order_id', 'text'], ['client_order_id', 'text'], ['venue', 'text'], ['product_id', 'text'], ['side', 'text'], ['price', 'numeric'],
  ['size_base', 'numeric'], ['commission', 'numeric'], ['liquidity', 'text'], ['filled_at_ms', 'bigint'],
];
const POSITION: readonly Column[] = [['product_id', 'text'], ['size_base', 'numeric'], ['average_entry_price', 'numeric'], ['cost_basis_quote', 'numeric'], ['realized_pnl_quote', 'numeric'], ['opened_at_ms', 'bigint'], ['updated_at_ms', 'bigint']];
const BALANCE: readonly Column[] = [['currency', 'text'], ['available', 'numeric'], ['hold', 'numeric'], ['updated_at_ms', 'bigint']];
const EQUITY: readonly Column[] = [['at_ms', 'bigint'], ['equity_quote', 'numeric']];

/** Every record of an import parsed with its schema (zod at the boundary), as rows of their tables. */
function rowsOf(batch: ReplayImport): Record<'products' | 'validations' | 'assessments' | 'approvals' | 'reservations' | 'orders' | 'fills' | 'positions' | 'balances' | 'equity', Record<string, unknown>[]> {
  return {
    products: batch.products.map((product) => {
      const p = parseWith(ProductSchema, product, 'product');
      return { product_id: p.productId, base_currency: p.baseCurrency, quote_currency: p.quoteCurrency, base_increment: p.baseIncrement, quote_increment: p.quoteIncrement, price_increment: p.priceIncrement, base_min_size: p.baseMinSize, base_max_size: p.baseMaxSize ?? null, quote_min_size: p.quoteMinSize, quote_max_size: p.quoteMaxSize ?? null, status: p.status, price: p.price ?? null };
    }),
    validations: batch.validations.map((validation) => {
      const r = parseWith(LlmValidationSchema, validation, 'validation');
      return { id: r.id, recommendation_id: r.recommendationId, validator: r.validator, decision: r.decision, validated_at_ms: r.validatedAtMs, record: r, content_hash: contentHash(r) };
    }),
    assessments: batch.assessments.map((assessment) => {
      const r = parseWith(RiskAssessmentSchema, assessment, 'risk assessment');
      return { recommendation_id: r.recommendationId, id: r.id, product_id: r.productId, decision: r.decision, assessed_at_ms: r.assessedAtMs, record: r, content_hash: contentHash(r) };
    }),
    approvals: batch.approvals.map(({ approval, consumedAtMs, consumedByOrderId }) => {
      const a = parseWith(RiskApprovalSchema, approval, 'risk approval');
      return { id: a.id, recommendation_id: a.recommendationId, client_order_id: a.clientOrderId, product_id: a.productId, side: a.side, max_quote_amount: a.maxQuoteAmount ?? null, max_base_size: a.maxBaseSize ?? null, issued_at_ms: a.issuedAtMs, expires_at_ms: a.expiresAtMs, record: a, consumed_at_ms: consumedAtMs ?? null, consumed_by_order_id: consumedByOrderId ?? null };
    }),
    reservations: batch.reservations.map(({ reservation, orderId, releasedAtMs }) => {
      const r = parseWith(ExposureReservationSchema, reservation, 'exposure reservation');
      return { approval_id: r.approvalId, product_id: r.productId, side: r.side, quote_amount: r.quoteAmount, base_size: r.baseSize, reserved_at_ms: r.reservedAtMs, expires_at_ms: r.expiresAtMs, order_id: orderId ?? null, released_at_ms: releasedAtMs ?? null };
    }),
    orders: batch.orders.map((order) => {
      const values = orderValues(parseWith(OrderSchema, order, 'order'));
      return Object.fromEntries(ORDER_COLUMNS.map((name, index) => [name, values[index]]));
    }),
    fills: batch.fills.map((fill) => {
      const f = parseWith(FillSchema, fill, 'fill');
      return { id: f.id, order_id: f.orderId, client_order_id: f.clientOrderId, venue: f.venue, product_id: f.productId, side: f.side, price: f.price, size_base: f.sizeBase, commission: f.commission, liquidity: f.liquidity, filled_at_ms: f.filledAtMs };
    }),
    positions: batch.positions.map((position) => {
      const p = parseWith(PositionSchema, position, 'position');
      return { product_id: p.productId, size_base: p.sizeBase, average_entry_price: p.averageEntryPrice, cost_basis_quote: p.costBasisQuote, realized_pnl_quote: p.realizedPnlQuote, opened_at_ms: p.openedAtMs ?? null, updated_at_ms: p.updatedAtMs };
    }),
    balances: batch.balances.map((balance) => {
      const b = parseWith(BalanceSchema, balance, 'balance');
      return { currency: b.currency, available: b.available, hold: b.hold, updated_at_ms: b.updatedAtMs };
    }),
    equity: batch.equity.map((snapshot) => {
      if (!Number.isFinite(snapshot.equityQuote) || !Number.isSafeInteger(snapshot.atMs)) {
        throw new TradepipeError('validation_failed', 'An equity snapshot needs a finite equity and an integer time');
      }
      return { at_ms: snapshot.atMs, equity_quote: numericText(snapshot.equityQuote) };
    }),
  };
}

/**
 * Locks the risk state row and the balance rows (FOR UPDATE: until the import commits, nobody changes them) and
 * compares them with what the importer expects (numbers compared as numbers).
 * @throws TradepipeError `record_conflict` if they differ: someone else changed them since the importer read or wrote them
 */
async function checkExpected(context: StoreContext, executor: SqlExecutor, riskState: RiskState, balances: readonly Balance[]): Promise<void> {
  const { s } = context;
  const [risk] = await executor.query<{ same: boolean }>(
    `SELECT (kill_switch_engaged = $1 AND kill_switch_mode = $2 AND kill_switch_reason IS NOT DISTINCT FROM $3 AND kill_switch_changed_at_ms IS NOT DISTINCT FROM $4::bigint
       AND cooldown_until_ms IS NOT DISTINCT FROM $5::bigint AND updated_at_ms = $6::bigint) AS same
     FROM ${s}.risk_state WHERE id = 1 FOR UPDATE`,
    [riskState.killSwitch.engaged, riskState.killSwitch.mode, riskState.killSwitch.reason ?? null, riskState.killSwitch.changedAtMs ?? null, riskState.cooldownUntilMs ?? null, riskState.updatedAtMs],
  );
  // The whole table, not its rows: a row lock misses a currency another transaction inserts meanwhile (its balance
  // sync would then be overwritten by the upsert below). This waits for writers in flight and holds new ones off
  // until the import commits; nothing that writes balances locks risk_state, so the order above cannot deadlock.
  await executor.query(`LOCK TABLE ${s}.balances IN SHARE ROW EXCLUSIVE MODE`);
  const rows = balances.map((b) => ({ currency: b.currency, available: b.available, hold: b.hold, updated_at_ms: b.updatedAtMs }));
  const [differing] = await executor.query<{ count: string }>(
    `WITH e AS (SELECT ${BALANCE.map((column) => `${fieldSql(column)} AS ${column[0]}`).join(', ')} FROM jsonb_array_elements($1::jsonb) AS e(value))
     SELECT count(*) AS count FROM e FULL JOIN ${s}.balances b ON b.currency = e.currency
     WHERE e.currency IS NULL OR b.currency IS NULL OR b.available <> e.available OR b.hold <> e.hold OR b.updated_at_ms <> e.updated_at_ms`,
    [JSON.stringify(rows)],
  );
  const riskChanged = risk?.same !== true;
  const balancesChanged = int8(differing?.count ?? '0', 'count') > 0;
  if (riskChanged || balancesChanged) {
    throw new TradepipeError('record_conflict', 'The risk state or balances changed since the replay read them: nothing of the import is written', {
      details: { operation: 'importReplay', riskStateChanged: riskChanged, balancesChanged },
    });
  }
}

/**
 * Writes a batched replay's import in one transaction: the bulk inserts as `writeBulk` writes them, then one
 * statement per table (work bookkeeping, products, validations, assessments, approvals, reservations, orders,
 * fills, positions, balances, risk state, equity snapshots), each a multi-row write of one JSON array.
 * With `expected`, the risk state and balance rows are locked and compared first (see `checkExpected`).
 * Everything is validated before any SQL runs (a bulk insert past one chunk: its later chunks as they are written,
 * which rolls the whole import back). Candles, signals and recommendations go through `writeBulk`'s path
 * (first write wins; a stored record with other content is a `record_conflict`; items written get the store's
 * now as their bookkeeping times); validations, assessments, fills and equity snapshots are plain inserts: one
 * stored before fails the whole import. Whatever fails, nothing is written.
 * @throws TradepipeError `validation_failed`; `record_conflict` (a bulk record conflicts; the risk state or balances differ from `expected`); `storage_failed` (a new record existed, an item to update did not)
 * @internal
 */
export async function importReplay(context: StoreContext, batch: ReplayImport): Promise<void> {
  const inserts: PreparedBulk[] = [];
  for (const insert of batch.inserts) {
    const prepared = await prepareBulk(context, insert);
    if (prepared !== undefined) inserts.push(prepared);
  }
  const rows = rowsOf(batch);
  const riskState = batch.riskState === undefined ? undefined : parseWith(RiskStateSchema, batch.riskState, 'risk state');
  const expected = batch.expected === undefined ? undefined : {
    riskState: parseWith(RiskStateSchema, batch.expected.riskState, 'risk state'),
    balances: batch.expected.balances.map((balance) => parseWith(BalanceSchema, balance, 'balance')),
  };
  await context.driver.transaction(async (executor) => {
    if (expected !== undefined) await checkExpected(context, executor, expected.riskState, expected.balances);
    for (const prepared of inserts) await writePreparedBulk(context, executor, prepared);
    for (const kind of ['candle', 'signal', 'recommendation'] as const) await updateStatuses(context, executor, kind, batch.statuses);
    await insertRows(context, executor, 'products', PRODUCT, rows.products, upsert('product_id', PRODUCT));
    await insertRows(context, executor, 'llm_validation', VALIDATION, rows.validations);
    await insertRows(context, executor, 'risk_assessments', ASSESSMENT, rows.assessments);
    await insertRows(context, executor, 'risk_approvals', APPROVAL, rows.approvals, 'ON CONFLICT (id) DO UPDATE SET consumed_at_ms = EXCLUDED.consumed_at_ms, consumed_by_order_id = EXCLUDED.consumed_by_order_id');
    await insertRows(context, executor, 'exposure_reservations', RESERVATION, rows.reservations, 'ON CONFLICT (approval_id) DO UPDATE SET order_id = EXCLUDED.order_id, released_at_ms = EXCLUDED.released_at_ms');
    await insertRows(context, executor, 'orders', ORDER, rows.orders, upsert('id', ORDER));
    await insertRows(context, executor, 'fills', FILL, rows.fills);
    await insertRows(context, executor, 'positions', POSITION, rows.positions, upsert('product_id', POSITION));
    await insertRows(context, executor, 'balances', BALANCE, rows.balances, upsert('currency', BALANCE));
    if (riskState !== undefined) {
      await executor.query(
        `UPDATE ${context.s}.risk_state SET kill_switch_engaged = $1, kill_switch_mode = $2, kill_switch_reason = $3, kill_switch_changed_at_ms = $4, cooldown_until_ms = $5, updated_at_ms = $6 WHERE id = 1`,
        [riskState.killSwitch.engaged, riskState.killSwitch.mode, riskState.killSwitch.reason ?? null, riskState.killSwitch.changedAtMs ?? null, riskState.cooldownUntilMs ?? null, riskState.updatedAtMs],
      );
    }
    await insertRows(context, executor, 'equity_snapshots', EQUITY, rows.equity);
  });
}

/**
 * Whether the store holds trading history (see `PipelineStore.holdsTradingHistory`), in one statement: each
 * table's first row, and the queue tables' waiting or dead-lettered items through their state index.
 * @internal
 */
export async function holdsTradingHistory(context: StoreContext): Promise<boolean> {
  const { s } = context;
  const any = (table: string, where = ''): string => `EXISTS (SELECT 1 FROM ${s}.${table} ${where})`;
  const unsettled = "WHERE state IN ('PENDING', 'DEAD_LETTER')";
  const [row] = await context.driver.query<{ history: boolean }>(
    `SELECT ${[
      any('trade_recommendations'), any('llm_validation'), any('risk_assessments'), any('risk_approvals'), any('exposure_reservations'), any('orders'),
      any('fills'), any('positions'), any('equity_snapshots'), any('crypto_prices', unsettled), any('trading_signals', unsettled),
      any('crypto_prices', 'WHERE lease_owner IS NOT NULL'), any('trading_signals', 'WHERE lease_owner IS NOT NULL'),
    ].join(' OR ')} AS history`,
  );
  return row?.history === true;
}
