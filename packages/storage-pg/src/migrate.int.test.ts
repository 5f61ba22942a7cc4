import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations-sql.js';
import { dropSchema, openTestPool, testSchemaName } from './test-database.js';

const pool = await openTestPool(12);

describe.runIf(pool !== undefined)('migrate on a PostgreSQL server', () => {
  const schema = testSchemaName('migrate');
  afterAll(async () => {
    if (pool === undefined) return;
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('applies each migration once when many starters migrate at the same time', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => migrate(pool!, { schema })));
    const newest = MIGRATIONS.at(-1)!.version;
    expect(results.every((result) => result.version === newest)).toBe(true);
    expect(results.flatMap((result) => result.applied)).toEqual(MIGRATIONS.map((migration) => migration.version));
    const { rows } = await pool!.query(`SELECT count(*)::int AS count FROM "${schema}".schema_migrations`);
    expect(rows[0].count).toBe(MIGRATIONS.length);
    expect(await migrate(pool!, { schema })).toEqual({ applied: [], version: newest });
  });

  it('creates the tables the stages use, with money in numeric columns', async () => {
    const { rows } = await pool!.query(
      `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1`,
      [schema],
    );
    const tables = new Set(rows.map((row) => row.table_name));
    for (const table of ['crypto_prices', 'trading_signals', 'trade_recommendations', 'llm_validation', 'risk_assessments', 'risk_approvals',
      'exposure_reservations', 'orders', 'fills', 'positions', 'balances', 'products', 'risk_state', 'equity_snapshots', 'checkpoints', 'health_events']) {
      expect(tables).toContain(table);
    }
    const typeOf = (table: string, column: string) => rows.find((row) => row.table_name === table && row.column_name === column)?.data_type;
    for (const [table, column] of [['orders', 'filled_quote_value'], ['fills', 'price'], ['fills', 'commission'], ['positions', 'realized_pnl_quote'],
      ['balances', 'available'], ['crypto_prices', 'close'], ['exposure_reservations', 'quote_amount']]) {
      expect(typeOf(table!, column!)).toBe('numeric');
    }
    expect(rows.filter((row) => row.data_type === 'double precision' || row.data_type === 'real').map((row) => `${row.table_name}.${row.column_name}`)).toEqual([
      'trading_signals.confidence',
    ]);
  });

  it('refuses to run against a schema newer than the store', async () => {
    await pool!.query(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES (9999, 'from the future')`);
    await expect(migrate(pool!, { schema })).rejects.toMatchObject({ code: 'storage_failed' });
    await pool!.query(`DELETE FROM "${schema}".schema_migrations WHERE version = 9999`);
  });
});
