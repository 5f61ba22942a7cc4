import {
  BalanceSchema,
  FillSchema,
  PositionSchema,
  TradepipeError,
  applyFillToBalances,
  applyFillToPosition,
  contentHash,
  parseWith,
  expectedOrderOf,
  isOrderAsExpected,
  orderChangedUnderneath,
  type Balance,
  type Fill,
  type FillOptions,
  type InsertResult,
  type Position,
} from '@tradepipe/core';
import { perContext, type StoreContext } from './context.js';
import { rowLock } from './row-locks.js';
import { compact, decimalColumn, int8, jsonRows, optionalInt8, optionalText, parseStored } from './rows.js';
import type { SqlExecutor, SqlRow } from './sql-driver.js';

function positionFromRow(row: SqlRow): Position {
  return parseStored(
    PositionSchema,
    compact({
      productId: row.product_id,
      sizeBase: decimalColumn(row.size_base, 'size_base'),
      averageEntryPrice: decimalColumn(row.average_entry_price, 'average_entry_price'),
      costBasisQuote: decimalColumn(row.cost_basis_quote, 'cost_basis_quote'),
      realizedPnlQuote: decimalColumn(row.realized_pnl_quote, 'realized_pnl_quote'),
      openedAtMs: optionalInt8(row.opened_at_ms, 'opened_at_ms'),
      updatedAtMs: int8(row.updated_at_ms, 'updated_at_ms'),
    }),
    'position',
  );
}

function balanceFromRow(row: SqlRow): Balance {
  return parseStored(
    BalanceSchema,
    {
      currency: row.currency,
      available: decimalColumn(row.available, 'available'),
      hold: decimalColumn(row.hold, 'hold'),
      updatedAtMs: int8(row.updated_at_ms, 'updated_at_ms'),
    },
    'balance',
  );
}

function fillFromRow(row: SqlRow): Fill {
  return parseStored(
    FillSchema,
    {
      id: row.id,
      orderId: row.order_id,
      clientOrderId: row.client_order_id,
      venue: row.venue,
      productId: row.product_id,
      side: row.side,
      price: decimalColumn(row.price, 'price'),
      sizeBase: decimalColumn(row.size_base, 'size_base'),
      commission: decimalColumn(row.commission, 'commission'),
      liquidity: row.liquidity,
      filledAtMs: int8(row.filled_at_ms, 'filled_at_ms'),
    },
    'fill',
  );
}

/** Positions, all of them or only those with a size above zero. @internal */
export async function listPositionsWith(context: StoreContext, executor: SqlExecutor, openOnly: boolean): Promise<Position[]> {
  const rows = await executor.query(
    `SELECT * FROM ${context.s}.positions ${openOnly ? 'WHERE size_base > 0' : ''} ORDER BY product_id COLLATE "C"`,
  );
  return rows.map(positionFromRow);
}

/**
 * SQL: every position (flat ones too), by product as {@link listPositionsWith} orders them, as one JSON array of
 * rows, numbers as their exact text: for a statement that reads positions beside other things. Read it with
 * {@link positionsFromJson}.
 * @internal
 */
export function positionsJsonSql(s: string): string {
  return `SELECT coalesce(json_agg(json_build_array(product_id, size_base::text, average_entry_price::text, cost_basis_quote::text,
      realized_pnl_quote::text, opened_at_ms::text, updated_at_ms::text) ORDER BY product_id COLLATE "C"), '[]'::json)
    FROM ${s}.positions`;
}

/** The positions {@link positionsJsonSql} read. @internal */
export function positionsFromJson(value: unknown): Position[] {
  return jsonRows(value, 7, 'positions').map(([productId, sizeBase, averageEntryPrice, costBasisQuote, realizedPnlQuote, openedAtMs, updatedAtMs]) =>
    positionFromRow({
      product_id: productId,
      size_base: sizeBase,
      average_entry_price: averageEntryPrice,
      cost_basis_quote: costBasisQuote,
      realized_pnl_quote: realizedPnlQuote,
      opened_at_ms: openedAtMs,
      updated_at_ms: updatedAtMs,
    }),
  );
}

/** One product's position (also when flat). @internal */
export async function getPosition(context: StoreContext, productId: string): Promise<Position | undefined> {
  const [row] = await context.driver.query(POSITION_SQL(context), [productId]);
  return row === undefined ? undefined : positionFromRow(row);
}

const POSITION_UPSERT = (s: string, first: number): string =>
  `INSERT INTO ${s}.positions (product_id, size_base, average_entry_price, cost_basis_quote, realized_pnl_quote, opened_at_ms, updated_at_ms)
   VALUES (${[0, 1, 2, 3, 4, 5, 6].map((offset) => `$${first + offset}`).join(', ')})
   ON CONFLICT (product_id) DO UPDATE SET size_base = EXCLUDED.size_base, average_entry_price = EXCLUDED.average_entry_price,
     cost_basis_quote = EXCLUDED.cost_basis_quote, realized_pnl_quote = EXCLUDED.realized_pnl_quote,
     opened_at_ms = EXCLUDED.opened_at_ms, updated_at_ms = EXCLUDED.updated_at_ms`;

const positionValues = (position: Position): unknown[] => [
  position.productId,
  position.sizeBase,
  position.averageEntryPrice,
  position.costBasisQuote,
  position.realizedPnlQuote,
  position.openedAtMs ?? null,
  position.updatedAtMs,
];

/** Balances to upsert in one statement: the last of a currency wins, as when they were written one by one. */
function balanceColumns(balances: readonly Balance[]): unknown[] {
  const byCurrency = new Map<string, Balance>();
  // A Map keeps a key where it first appeared (so new currencies get their order as when written one by one) and
  // takes the last value.
  for (const balance of balances) byCurrency.set(balance.currency, balance);
  const last = [...byCurrency.values()];
  return [last.map((balance) => balance.currency), last.map((balance) => balance.available), last.map((balance) => balance.hold), last.map((balance) => balance.updatedAtMs)];
}

const BALANCES_UPSERT = (s: string, first: number): string =>
  `INSERT INTO ${s}.balances (currency, available, hold, updated_at_ms)
   SELECT * FROM unnest($${first}::text[], $${first + 1}::numeric[], $${first + 2}::numeric[], $${first + 3}::bigint[]) AS input(currency, available, hold, updated_at_ms)
   ON CONFLICT (currency) DO UPDATE SET available = EXCLUDED.available, hold = EXCLUDED.hold, updated_at_ms = EXCLUDED.updated_at_ms`;

/** The balances of the currencies in parameter `$at` (a text array) as one JSON array of rows, numbers as their exact text. */
const BALANCES_JSON = (s: string, at: number): string =>
  `SELECT coalesce(json_agg(json_build_array(b.currency, b.available::text, b.hold::text, b.updated_at_ms::text) ORDER BY b.currency COLLATE "C"), '[]'::json)
   FROM ${s}.balances b WHERE b.currency = ANY($${at}::text[])`;

/** {@link BALANCES_JSON}'s rows as the rows of `SELECT * FROM balances`. */
function balanceRowsFromJson(value: unknown): SqlRow[] {
  return jsonRows(value, 4, 'balances').map(([currency, available, hold, updatedAtMs]) => ({ currency, available, hold, updated_at_ms: updatedAtMs }));
}

async function upsertBalances(context: StoreContext, executor: SqlExecutor, balances: readonly Balance[]): Promise<void> {
  if (balances.length === 0) return;
  await executor.query(BALANCES_UPSERT(context.s, 1), balanceColumns(balances));
}

const LOCK_FILL_ORDER_SQL = perContext(
  (context) => `SELECT status, status_reason, EXISTS (SELECT 1 FROM ${context.s}.fills WHERE id = $2) AS fill_recorded FROM ${context.s}.orders WHERE id = $1 ${rowLock(context, 'FOR SHARE')}`,
);

const POSITION_SQL = perContext((context) => `SELECT * FROM ${context.s}.positions WHERE product_id = $1`);

/**
 * {@link recordFill}'s first statement: the fill, the position's row created if missing and locked, the missing
 * balance rows created; on PGlite the balances read too (see there).
 */
const FILL_FIRST_SQL = perContext((context) => {
  const { s } = context;
  const balancesInFirst = context.driver.name === 'pglite';
  return `WITH new_fill AS (
         INSERT INTO ${s}.fills (id, order_id, client_order_id, venue, product_id, side, price, size_base, commission, liquidity, filled_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING RETURNING 1 AS one),
       locked_position AS (
         INSERT INTO ${s}.positions (product_id, size_base, average_entry_price, cost_basis_quote, realized_pnl_quote, updated_at_ms)
         SELECT $5, 0, 0, 0, 0, $11 FROM new_fill
         ON CONFLICT (product_id) DO UPDATE SET product_id = EXCLUDED.product_id RETURNING *),
       created_balances AS (
         INSERT INTO ${s}.balances (currency, available, hold, updated_at_ms)
         SELECT input.currency, 0, 0, $11 FROM locked_position, unnest(ARRAY[$12, $13]::text[]) WITH ORDINALITY AS input(currency, position)
         ORDER BY input.position
         ON CONFLICT (currency) DO NOTHING)
       SELECT inserted.count AS fill_inserted, locked_position.*${balancesInFirst ? `, (${BALANCES_JSON(s, 14)}) AS balances_json` : ''}
       FROM (SELECT count(*) AS count FROM new_fill) AS inserted LEFT JOIN locked_position ON true`;
});

/** The values of a position row ({@link positionValues}). */
const POSITION_VALUE_COUNT = 7;

/** {@link recordFill}'s write: the position from `$1`, then the balances after its `positionValueCount` values. */
function fillWriteSql(s: string, positionValueCount: number): string {
  return `WITH upserted_position AS (${POSITION_UPSERT(s, 1)}) ${BALANCES_UPSERT(s, positionValueCount + 1)}`;
}

const FILL_WRITE_SQL = perContext((context) => fillWriteSql(context.s, POSITION_VALUE_COUNT));

/**
 * Records a fill once by its id and, in the same transaction and under the position's and balances' row
 * locks, applies it to the position and the balances with core's ledger rules.
 * @throws TradepipeError `validation_failed`, `record_conflict` (same id, other content)
 * @internal
 */
export async function recordFill(context: StoreContext, fill: Fill, currencies: FillOptions): Promise<InsertResult> {
  const parsed = parseWith(FillSchema, fill, 'fill');
  const { s } = context;
  const currencyList = [currencies.quoteCurrency, currencies.baseCurrency].sort();
  // PGlite runs the transaction alone (see `rowLock`): no other fill can commit a balance meanwhile, so the first
  // statement reads the balances too, unlocked (its snapshot lacks the rows it creates itself: zeros, as none).
  const balancesInFirst = context.driver.name === 'pglite';
  const expectedOrder = expectedOrderOf(currencies);
  return context.driver.transaction(async (executor) => {
    if (expectedOrder !== undefined) {
      // Compare-and-set on the order, under its row lock held to the commit (FOR SHARE: fills of one order do not wait
      // for each other, an order update waits for them, and they for it). After a wait the row read is the one the
      // update committed: a fill read off the venue is not booked onto an order ended meanwhile. A fill recorded
      // already goes on to be found a duplicate (or a conflict) below: a repeat is never refused for the order.
      const [row] = await executor.query(LOCK_FILL_ORDER_SQL(context), [parsed.orderId, parsed.id]);
      if (row === undefined) throw new TradepipeError('not_found', 'No such order', { details: { orderId: parsed.orderId } });
      const order = { id: parsed.orderId, status: String(row.status) as typeof expectedOrder.status, statusReason: optionalText(row.status_reason) };
      if (row.fill_recorded !== true && !isOrderAsExpected(order, expectedOrder)) throw orderChangedUnderneath(order, expectedOrder);
    }
    // The fill, and if it is new: the position's row created if missing and locked (a no-op update returns
    // the stored row under its lock), and a zero balance row created for each of the two currencies that has
    // none (quote first, as the ledger writes them), so the next statement has a row to lock: without it two
    // fills crediting a new currency would both read "no balance" and the second write would drop the first's
    // credit. One statement. A duplicate fill touches no position and no balance.
    const [first] = await executor.query(
      FILL_FIRST_SQL(context),
      // One array (not spread from three): the parameters in their placeholders' order.
      balancesInFirst
        ? [parsed.id, parsed.orderId, parsed.clientOrderId, parsed.venue, parsed.productId, parsed.side, parsed.price, parsed.sizeBase, parsed.commission, parsed.liquidity, parsed.filledAtMs, currencies.quoteCurrency, currencies.baseCurrency, currencyList]
        : [parsed.id, parsed.orderId, parsed.clientOrderId, parsed.venue, parsed.productId, parsed.side, parsed.price, parsed.sizeBase, parsed.commission, parsed.liquidity, parsed.filledAtMs, currencies.quoteCurrency, currencies.baseCurrency],
    );
    if (Number(first?.fill_inserted) !== 1) {
      const [row] = await executor.query(`SELECT * FROM ${s}.fills WHERE id = $1`, [parsed.id]);
      if (row !== undefined && contentHash(fillFromRow(row)) === contentHash(parsed)) return { status: 'duplicate' };
      throw new TradepipeError('record_conflict', 'A fill with this id exists with other content', { details: { fillId: parsed.id } });
    }
    // The position is locked; then both balances (on a server a statement of its own, so it sees rows other fills
    // committed while this one waited on them), always in the same order; then both written in one statement. A
    // position or balance row just created above holds zeros, which the ledger treats exactly like none.
    const position = first?.product_id === undefined || first.product_id === null ? undefined : positionFromRow(first);
    const balanceRows = balancesInFirst
      ? balanceRowsFromJson(first?.balances_json)
      : await executor.query(`SELECT * FROM ${s}.balances WHERE currency = ANY($1::text[]) ORDER BY currency COLLATE "C" FOR UPDATE`, [currencyList]);
    const balances = new Map(balanceRows.map((row) => [String(row.currency), balanceFromRow(row)]));
    const nextPosition = positionValues(applyFillToPosition(position, parsed));
    await executor.query(nextPosition.length === POSITION_VALUE_COUNT ? FILL_WRITE_SQL(context) : fillWriteSql(s, nextPosition.length), [
      ...nextPosition,
      ...balanceColumns(applyFillToBalances(balances, parsed, currencies)),
    ], { commits: true });
    return { status: 'inserted' };
  });
}

/** Fills of an order, oldest first. @internal */
export async function listFills(context: StoreContext, orderId: string): Promise<Fill[]> {
  const rows = await context.driver.query(`SELECT * FROM ${context.s}.fills WHERE order_id = $1 ORDER BY filled_at_ms, seq`, [orderId]);
  return rows.map(fillFromRow);
}

/** Every balance, in the order currencies first appeared. @internal */
export async function listBalances(context: StoreContext): Promise<Balance[]> {
  const rows = await context.driver.query(`SELECT * FROM ${context.s}.balances ORDER BY seq`);
  return rows.map(balanceFromRow);
}

/**
 * Replaces balances with the venue's truth, validated first, taking the row locks as {@link recordFill} does:
 * zero rows created for currencies that have none (in the order given, so new currencies keep their order of
 * first appearance), then every row locked in byte order of currency, then the upsert. A fill and a balance sync
 * then wait for each other instead of deadlocking, except when both create the same two new currencies in
 * opposite orders (PostgreSQL aborts one, `storage_unavailable`, retryable).
 * @throws TradepipeError `validation_failed` @internal
 */
export async function putBalances(context: StoreContext, balances: readonly Balance[]): Promise<void> {
  const parsed = balances.map((balance) => parseWith(BalanceSchema, balance, 'balance'));
  if (parsed.length === 0) return;
  const { s } = context;
  const currencies = parsed.map((balance) => balance.currency);
  await context.driver.transaction(async (executor) => {
    await executor.query(
      `INSERT INTO ${s}.balances (currency, available, hold, updated_at_ms)
       SELECT input.currency, 0, 0, 0 FROM unnest($1::text[]) WITH ORDINALITY AS input(currency, position) ORDER BY input.position
       ON CONFLICT (currency) DO NOTHING`,
      [currencies],
    );
    await executor.query(`SELECT 1 FROM ${s}.balances WHERE currency = ANY($1::text[]) ORDER BY currency COLLATE "C" FOR UPDATE`, [currencies]);
    await upsertBalances(context, executor, parsed);
  });
}
