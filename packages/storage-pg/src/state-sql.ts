import {
  HealthReportSchema,
  ProductSchema,
  RiskStateSchema,
  TradepipeError,
  parseWith,
  type EquitySnapshot,
  type HealthReport,
  type Product,
  type RiskState,
} from '@tradepipe/core';
import { perContext, type StoreContext } from './context.js';
import { compact, decimalColumn, int8, numberColumn, numericText, optionalDecimal, optionalInt8, optionalText, parseStored } from './rows.js';
import type { SqlRow } from './sql-driver.js';

function productFromRow(row: SqlRow): Product {
  return parseStored(
    ProductSchema,
    compact({
      productId: row.product_id,
      baseCurrency: row.base_currency,
      quoteCurrency: row.quote_currency,
      baseIncrement: decimalColumn(row.base_increment, 'base_increment'),
      quoteIncrement: decimalColumn(row.quote_increment, 'quote_increment'),
      priceIncrement: decimalColumn(row.price_increment, 'price_increment'),
      baseMinSize: decimalColumn(row.base_min_size, 'base_min_size'),
      baseMaxSize: optionalDecimal(row.base_max_size, 'base_max_size'),
      quoteMinSize: decimalColumn(row.quote_min_size, 'quote_min_size'),
      quoteMaxSize: optionalDecimal(row.quote_max_size, 'quote_max_size'),
      status: row.status,
      price: optionalDecimal(row.price, 'price'),
    }),
    'product',
  );
}

/** Inserts or replaces a product. @throws TradepipeError `validation_failed` @internal */
export async function putProduct(context: StoreContext, product: Product): Promise<void> {
  const p = parseWith(ProductSchema, product, 'product');
  await context.driver.query(
    `INSERT INTO ${context.s}.products (product_id, base_currency, quote_currency, base_increment, quote_increment, price_increment,
       base_min_size, base_max_size, quote_min_size, quote_max_size, status, price)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (product_id) DO UPDATE SET base_currency = EXCLUDED.base_currency, quote_currency = EXCLUDED.quote_currency,
       base_increment = EXCLUDED.base_increment, quote_increment = EXCLUDED.quote_increment, price_increment = EXCLUDED.price_increment,
       base_min_size = EXCLUDED.base_min_size, base_max_size = EXCLUDED.base_max_size, quote_min_size = EXCLUDED.quote_min_size,
       quote_max_size = EXCLUDED.quote_max_size, status = EXCLUDED.status, price = EXCLUDED.price`,
    [
      p.productId,
      p.baseCurrency,
      p.quoteCurrency,
      p.baseIncrement,
      p.quoteIncrement,
      p.priceIncrement,
      p.baseMinSize,
      p.baseMaxSize ?? null,
      p.quoteMinSize,
      p.quoteMaxSize ?? null,
      p.status,
      p.price ?? null,
    ],
  );
}

const PRODUCTS_SQL = perContext((context) => `SELECT * FROM ${context.s}.products WHERE $1::text IS NULL OR product_id = $1 ORDER BY seq`);

/** One product, or every product in the order they were first stored. @internal */
export async function getProducts(context: StoreContext, productId?: string): Promise<Product[]> {
  const rows = await context.driver.query(PRODUCTS_SQL(context), [productId ?? null]);
  return rows.map(productFromRow);
}

function riskStateFromRow(row: SqlRow): RiskState {
  return parseStored(
    RiskStateSchema,
    compact({
      killSwitch: compact({
        engaged: row.kill_switch_engaged === true,
        mode: row.kill_switch_mode,
        reason: optionalText(row.kill_switch_reason),
        changedAtMs: optionalInt8(row.kill_switch_changed_at_ms, 'kill_switch_changed_at_ms'),
      }),
      cooldownUntilMs: optionalInt8(row.cooldown_until_ms, 'cooldown_until_ms'),
      updatedAtMs: int8(row.updated_at_ms, 'updated_at_ms'),
    }),
    'risk state',
  );
}

/** The shared risk state (kill switch, cooldown). @internal */
export async function getRiskState(context: StoreContext): Promise<RiskState> {
  const [row] = await context.driver.query(`SELECT * FROM ${context.s}.risk_state WHERE id = 1`);
  if (row === undefined) throw new TradepipeError('storage_failed', 'The risk state row is missing; run the migrations');
  return riskStateFromRow(row);
}

/**
 * Merges an update into the risk state under the row's lock (so it serialises with risk decisions).
 * @throws TradepipeError `validation_failed`
 * @internal
 */
export async function updateRiskState(context: StoreContext, update: Partial<Omit<RiskState, 'updatedAtMs'>> & { readonly updatedAtMs: number }): Promise<RiskState> {
  return context.driver.transaction(async (executor) => {
    const [row] = await executor.query(`SELECT * FROM ${context.s}.risk_state WHERE id = 1 FOR UPDATE`);
    if (row === undefined) throw new TradepipeError('storage_failed', 'The risk state row is missing; run the migrations');
    const next = parseWith(RiskStateSchema, { ...riskStateFromRow(row), ...update }, 'risk state');
    await executor.query(
      `UPDATE ${context.s}.risk_state SET kill_switch_engaged = $1, kill_switch_mode = $2, kill_switch_reason = $3,
         kill_switch_changed_at_ms = $4, cooldown_until_ms = $5, updated_at_ms = $6 WHERE id = 1`,
      [
        next.killSwitch.engaged,
        next.killSwitch.mode,
        next.killSwitch.reason ?? null,
        next.killSwitch.changedAtMs ?? null,
        next.cooldownUntilMs ?? null,
        next.updatedAtMs,
      ],
    );
    return next;
  });
}

/** Records an equity snapshot. @throws TradepipeError `validation_failed` if not finite @internal */
export async function recordEquity(context: StoreContext, snapshot: EquitySnapshot): Promise<void> {
  if (!Number.isFinite(snapshot.equityQuote) || !Number.isSafeInteger(snapshot.atMs)) {
    throw new TradepipeError('validation_failed', 'An equity snapshot needs a finite equity and an integer time');
  }
  await context.driver.query(`INSERT INTO ${context.s}.equity_snapshots (at_ms, equity_quote) VALUES ($1, $2)`, [snapshot.atMs, numericText(snapshot.equityQuote)]);
}

/** The first equity snapshot of the UTC day starting at `dayStartMs`. @internal */
export async function getDayStartEquity(context: StoreContext, dayStartMs: number): Promise<EquitySnapshot | undefined> {
  const [row] = await context.driver.query(
    `SELECT at_ms, equity_quote FROM ${context.s}.equity_snapshots WHERE at_ms >= $1 AND at_ms < $2 ORDER BY at_ms, seq LIMIT 1`,
    [dayStartMs, dayStartMs + 86_400_000],
  );
  return row === undefined ? undefined : { atMs: int8(row.at_ms, 'at_ms'), equityQuote: numberColumn(row.equity_quote, 'equity_quote') };
}

/** Saves a checkpoint as JSON, replacing the previous one. @throws TradepipeError `validation_failed` @internal */
export async function saveCheckpoint(context: StoreContext, key: string, value: unknown, atMs: number): Promise<void> {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TradepipeError('validation_failed', 'A checkpoint must be JSON', { details: { key } });
  await context.driver.query(
    `INSERT INTO ${context.s}.checkpoints (key, value, at_ms) VALUES ($1, $2::json, $3)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, at_ms = EXCLUDED.at_ms`,
    [key, json, atMs],
  );
}

/** Loads a checkpoint. @internal */
export async function loadCheckpoint(context: StoreContext, key: string): Promise<{ value: unknown; atMs: number } | undefined> {
  const [row] = await context.driver.query(`SELECT value, at_ms FROM ${context.s}.checkpoints WHERE key = $1`, [key]);
  return row === undefined ? undefined : { value: row.value, atMs: int8(row.at_ms, 'at_ms') };
}

/** Appends a health report to the health events. @throws TradepipeError `validation_failed` @internal */
export async function recordHealth(context: StoreContext, report: HealthReport): Promise<void> {
  const parsed = parseWith(HealthReportSchema, report, 'health report');
  await context.driver.query(`INSERT INTO ${context.s}.health_events (service, status, reported_at_ms, report) VALUES ($1, $2, $3, $4::jsonb)`, [
    parsed.service,
    parsed.status,
    parsed.reportedAtMs,
    JSON.stringify(parsed),
  ]);
}

/** The last report recorded for a service. @internal */
export async function latestHealth(context: StoreContext, service: string): Promise<HealthReport | undefined> {
  const [row] = await context.driver.query(`SELECT report FROM ${context.s}.health_events WHERE service = $1 ORDER BY seq DESC LIMIT 1`, [service]);
  return row === undefined ? undefined : parseStored(HealthReportSchema, row.report, 'health report');
}
