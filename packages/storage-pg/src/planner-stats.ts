import type { StoreContext } from './context.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';

/** A bulk-written table is analyzed once this many rows (at least) were bulk-written to it since its last analyze. */
const ANALYZE_MIN_ROWS = 1_000;

/**
 * The statistics target of these analyzes: a sample of 300 × this many rows (3,000), which gives the planner the
 * table's size and the spread of its queue columns; the full default (100: 30,000 rows) took over a second at
 * 100,000 signals.
 */
const STATISTICS_TARGET = 10;

/** What an analyze of a bulk-written table reads: the columns the queue and reads filter and order on. */
const ANALYZED_COLUMNS: Readonly<Record<string, string>> = {
  crypto_prices: 'state, product_id, granularity, start_ms, available_at_ms, lease_owner, lease_expires_at_ms',
  trading_signals: 'state, product_id, granularity, candle_start_ms, available_at_ms, lease_owner, lease_expires_at_ms',
  trade_recommendations: 'state, product_id, granularity, created_at_ms, available_at_ms, lease_owner, lease_expires_at_ms',
};

/** Per driver and table: rows bulk-written through it, and how many had been when it last analyzed the table. */
const GROWTH = new WeakMap<SqlDriver, Map<string, { writtenRows: number; analyzedAtRows: number }>>();

/**
 * Analyzes a table a bulk write grew, on PGlite, once it has grown as much as it held at the last analyze (or
 * {@link ANALYZE_MIN_ROWS} the first time): PGlite runs no autovacuum, so a table filled in bulk never gets
 * statistics, and nothing ever invalidates the plans of prepared statements made while it was small. On a
 * replay's store the queue's claim kept a plan made for an empty table, a scan of every row: 16–18 ms per claim
 * at 100,000 candles instead of 0.4 ms once analyzed. Doubling keeps the analyzes few (about 10 for a year of
 * minutes, each 2–50 ms) while the plans follow the table's size. Inside the writing transaction (ANALYZE may
 * run there; it sees the transaction's own rows), its sample size set for that transaction only. A server runs
 * autovacuum, which does this itself: nothing is done there.
 * @internal
 */
export async function analyzeIfGrown(context: StoreContext, executor: SqlExecutor, table: string, rows: number): Promise<void> {
  const columns = ANALYZED_COLUMNS[table];
  if (context.driver.name !== 'pglite' || rows <= 0 || columns === undefined) return;
  let tables = GROWTH.get(context.driver);
  if (tables === undefined) {
    tables = new Map();
    GROWTH.set(context.driver, tables);
  }
  const growth = tables.get(table) ?? { writtenRows: 0, analyzedAtRows: 0 };
  tables.set(table, growth);
  growth.writtenRows += rows;
  if (growth.writtenRows - growth.analyzedAtRows < Math.max(ANALYZE_MIN_ROWS, growth.analyzedAtRows)) return;
  await executor.exec(`SET LOCAL default_statistics_target = ${STATISTICS_TARGET}; ANALYZE ${context.s}.${table} (${columns})`);
  growth.analyzedAtRows = growth.writtenRows;
}

/**
 * {@link analyzeIfGrown} for the live path's own writes (a candle put, the records a completion inserts): counts
 * them with the bulk writes and analyzes the table when it has doubled, outside any transaction. A PGlite store
 * grown one candle at a time is never analyzed otherwise, and its claims' plans (made while the tables were
 * small) read more of the table as it grows: the ordered candle claim cost 0.5 ms of CPU at 1,000 candles and
 * 1.9 ms at 10,000. A failed analyze is logged, never the write's failure: the rows are written.
 * @internal
 */
export async function analyzeIfGrownLive(context: StoreContext, table: string, rows: number): Promise<void> {
  try {
    await analyzeIfGrown(context, context.driver, table, rows);
  } catch (error) {
    context.logger.warn('storage could not analyze a grown table', { table, error });
  }
}
