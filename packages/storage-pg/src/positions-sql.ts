import {
  BalanceSchema,
  FillSchema,
  PositionSchema,
  TradepipeError,
  applyFillToBalances,
  applyFillToPosition,
  contentHash,
  parseWith,
  type Balance,
  type Fill,
  type InsertResult,
  type Position,
} from '@tradepipe/core';
import type { StoreContext } from './context.js';
import { compact, decimalColumn, int8, optionalInt8, parseStored } from './rows.js';
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

/** One product's position (also when flat). @internal */
export async function getPosition(context: StoreContext, productId: string): Promise<Position | undefined> {
  const [row] = await context.driver.query(`SELECT * FROM ${context.s}.positions WHERE product_id = $1`, [productId]);
  return row === undefined ? undefined : positionFromRow(row);
}

async function upsertPosition(context: StoreContext, executor: SqlExecutor, position: Position): Promise<void> {
  await executor.query(
    `INSERT INTO ${context.s}.positions (product_id, size_base, average_entry_price, cost_basis_quote, realized_pnl_quote, opened_at_ms, updated_at_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (product_id) DO UPDATE SET size_base = EXCLUDED.size_base, average_entry_price = EXCLUDED.average_entry_price,
       cost_basis_quote = EXCLUDED.cost_basis_quote, realized_pnl_quote = EXCLUDED.realized_pnl_quote,
       opened_at_ms = EXCLUDED.opened_at_ms, updated_at_ms = EXCLUDED.updated_at_ms`,
    [position.productId, position.sizeBase, position.averageEntryPrice, position.costBasisQuote, position.realizedPnlQuote, position.openedAtMs ?? null, position.updatedAtMs],
  );
}

async function upsertBalances(context: StoreContext, executor: SqlExecutor, balances: readonly Balance[]): Promise<void> {
  for (const balance of balances) {
    await executor.query(
      `INSERT INTO ${context.s}.balances (currency, available, hold, updated_at_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (currency) DO UPDATE SET available = EXCLUDED.available, hold = EXCLUDED.hold, updated_at_ms = EXCLUDED.updated_at_ms`,
      [balance.currency, balance.available, balance.hold, balance.updatedAtMs],
    );
  }
}

/**
 * Records a fill once by its id and, in the same transaction and under the position's and balances' row
 * locks, applies it to the position and the balances with core's ledger rules.
 * @throws TradepipeError `validation_failed`, `record_conflict` (same id, other content)
 * @internal
 */
export async function recordFill(context: StoreContext, fill: Fill, currencies: { readonly quoteCurrency: string; readonly baseCurrency: string }): Promise<InsertResult> {
  const parsed = parseWith(FillSchema, fill, 'fill');
  const { s } = context;
  return context.driver.transaction(async (executor) => {
    const inserted = await executor.query(
      `INSERT INTO ${s}.fills (id, order_id, client_order_id, venue, product_id, side, price, size_base, commission, liquidity, filled_at_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING RETURNING 1 AS one`,
      [parsed.id, parsed.orderId, parsed.clientOrderId, parsed.venue, parsed.productId, parsed.side, parsed.price, parsed.sizeBase, parsed.commission, parsed.liquidity, parsed.filledAtMs],
    );
    if (inserted.length === 0) {
      const [row] = await executor.query(`SELECT * FROM ${s}.fills WHERE id = $1`, [parsed.id]);
      if (row !== undefined && contentHash(fillFromRow(row)) === contentHash(parsed)) return { status: 'duplicate' };
      throw new TradepipeError('record_conflict', 'A fill with this id exists with other content', { details: { fillId: parsed.id } });
    }
    // Lock (creating if needed) the position and both balances, always in the same order, then apply.
    await executor.query(
      `INSERT INTO ${s}.positions (product_id, size_base, average_entry_price, cost_basis_quote, realized_pnl_quote, updated_at_ms)
       VALUES ($1, 0, 0, 0, 0, $2) ON CONFLICT DO NOTHING`,
      [parsed.productId, parsed.filledAtMs],
    );
    const [positionRow] = await executor.query(`SELECT * FROM ${s}.positions WHERE product_id = $1 FOR UPDATE`, [parsed.productId]);
    // A row just created above holds zeros, which the ledger treats exactly like no position.
    const position = positionRow === undefined ? undefined : positionFromRow(positionRow);
    const currencyList = [currencies.quoteCurrency, currencies.baseCurrency].sort();
    const balanceRows = await executor.query(`SELECT * FROM ${s}.balances WHERE currency = ANY($1::text[]) ORDER BY currency COLLATE "C" FOR UPDATE`, [currencyList]);
    const balances = new Map(balanceRows.map((row) => [String(row.currency), balanceFromRow(row)]));
    await upsertPosition(context, executor, applyFillToPosition(position, parsed));
    await upsertBalances(context, executor, applyFillToBalances(balances, parsed, currencies));
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

/** Replaces balances with the venue's truth, validated first. @throws TradepipeError `validation_failed` @internal */
export async function putBalances(context: StoreContext, balances: readonly Balance[]): Promise<void> {
  const parsed = balances.map((balance) => parseWith(BalanceSchema, balance, 'balance'));
  await context.driver.transaction((executor) => upsertBalances(context, executor, parsed));
}
