import { compact, int8, optionalText } from './rows.js';
import type { SqlRow } from './sql-driver.js';
import type { WorkKind, WorkStatus } from '@tradepipe/core';

/** How one work kind maps onto its table. @internal */
export interface WorkTable {
  readonly table: string;
  /** Orders items within a partition (and claims overall), as the memory store does. */
  readonly orderColumn: string;
  /** The primary key's columns. */
  readonly keyColumns: readonly string[];
  /** SQL giving the item's id (`Claim.id`) from a row aliased `alias`. */
  idSql(alias: string): string;
  /** SQL condition selecting one item by id, with its parameters starting at `$index`. */
  keyCondition(alias: string, index: number): string;
  /** Parameters of {@link keyCondition} for an id, or `undefined` if the id cannot name an item. */
  keyParams(id: string): unknown[] | undefined;
}

const byId = (table: string, orderColumn: string): WorkTable => ({
  table,
  orderColumn,
  keyColumns: ['id'],
  idSql: (alias) => `${alias}.id`,
  keyCondition: (alias, index) => `${alias}.id = $${index}`,
  keyParams: (id) => [id],
});

/** The three work queues: candles (`crypto_prices`), signals, recommendations. @internal */
export const WORK_TABLES: Readonly<Record<WorkKind, WorkTable>> = {
  candle: {
    table: 'crypto_prices',
    orderColumn: 'start_ms',
    keyColumns: ['product_id', 'granularity', 'start_ms'],
    idSql: (alias) => `(${alias}.product_id || '/' || ${alias}.granularity || '/' || ${alias}.start_ms::text)`,
    keyCondition: (alias, index) => `${alias}.product_id = $${index} AND ${alias}.granularity = $${index + 1} AND ${alias}.start_ms = $${index + 2}::bigint`,
    keyParams(id) {
      const parts = id.split('/');
      const startMs = Number(parts[2]);
      if (parts.length !== 3 || !Number.isSafeInteger(startMs) || String(startMs) !== parts[2]) return undefined;
      return [parts[0], parts[1], startMs];
    },
  },
  signal: byId('trading_signals', 'candle_start_ms'),
  recommendation: byId('trade_recommendations', 'created_at_ms'),
};

/** The work columns every queue row carries, for SELECTs. @internal */
export const WORK_STATUS_COLUMNS = 'state, state_reason, attempt, last_error_code, last_error_message, available_at_ms, updated_at_ms';

/** A queue row's bookkeeping as a {@link WorkStatus}. @internal */
export function workStatusFromRow<S extends string>(row: SqlRow): WorkStatus<S> {
  const code = optionalText(row.last_error_code);
  return compact({
    state: String(row.state) as S,
    reason: optionalText(row.state_reason),
    attempt: Number(row.attempt),
    lastError: code === undefined ? undefined : { code, message: String(row.last_error_message ?? '') },
    availableAtMs: int8(row.available_at_ms, 'available_at_ms'),
    updatedAtMs: int8(row.updated_at_ms, 'updated_at_ms'),
  }) as WorkStatus<S>;
}
