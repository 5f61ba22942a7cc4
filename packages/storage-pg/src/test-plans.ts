import type { SqlDriver, SqlExecutor } from './sql-driver.js';

/** A statement as a driver was asked to run it. @internal */
export interface RecordedStatement {
  readonly text: string;
  readonly params: readonly unknown[];
}

/** `driver` with every statement its executors run (in a transaction too) pushed onto `statements`. @internal */
export function recordingDriver(driver: SqlDriver, statements: RecordedStatement[]): SqlDriver {
  const record = (executor: SqlExecutor): SqlExecutor => ({
    ...executor,
    query: (text, params = [], options) => (statements.push({ text, params }), executor.query(text, params, options)),
  });
  return { ...driver, ...record(driver), transaction: (work) => driver.transaction((executor) => work(record(executor))) };
}

/**
 * The plan PostgreSQL keeps for a prepared statement (generic), as `EXPLAIN (ANALYZE[, BUFFERS])` shows it after one
 * run of `text` with `params`; the run is rolled back.
 * @internal
 */
export async function explainGeneric(driver: SqlDriver, text: string, params: readonly unknown[], options: { readonly buffers?: boolean } = {}): Promise<string> {
  const literal = (value: unknown): string => (value === null || value === undefined ? 'NULL' : typeof value === 'number' ? String(value) : `'${String(value).replaceAll("'", "''")}'`);
  let plan = '';
  await driver
    .transaction(async (executor) => {
      await executor.exec(`SET LOCAL plan_cache_mode = force_generic_plan; PREPARE explained AS ${text}`);
      const rows = await executor.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, ${options.buffers === true ? 'BUFFERS, ' : ''}COSTS OFF) EXECUTE explained(${params.map(literal).join(', ')})`);
      plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      throw new Error('roll back');
    })
    .catch((error: unknown) => {
      if ((error as Error).message !== 'roll back') throw error;
    });
  await driver.exec('DEALLOCATE explained');
  return plan;
}
