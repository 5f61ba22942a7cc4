// The dev stack's PostgreSQL schema: a new one per run (a replay restarts its clock in the past, so it cannot
// share a schema holding later records), dropped at the end unless kept. Nothing outside it is touched.
import pg from 'pg';
import { TradepipeError } from '@tradepipe/core';
import { SCHEMA_NAME_PATTERN } from '@tradepipe/storage-pg';

/** The dev stack's schema on a PostgreSQL server. */
export interface DevSchema {
  readonly url: string;
  readonly schema: string;
  /** Drops the schema (only ever the one this run created). */
  drop(): Promise<void>;
}

/** A schema name for this run: `tradepipe_dev_<UTC date and time>_<random>`. */
export function newDevSchemaName(nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `tradepipe_dev_${stamp}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: 'tradepipe-dev' });
  try {
    await client.connect();
  } catch (error) {
    throw new TradepipeError('storage_unavailable', 'cannot connect to the PostgreSQL server of --database-url', { cause: error instanceof Error ? { name: error.name, code: (error as { code?: unknown }).code } : undefined });
  }
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Checks that `schema` does not exist yet on the server (the services create it when they migrate).
 * @throws TradepipeError `config_invalid` for a bad name or an existing schema; `storage_unavailable`
 */
export async function prepareDevSchema(url: string, schema: string): Promise<DevSchema> {
  if (!SCHEMA_NAME_PATTERN.test(schema)) throw new TradepipeError('config_invalid', `--schema must match ${String(SCHEMA_NAME_PATTERN)}`);
  const exists = await withClient(url, async (client) => (await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema])).rowCount !== 0);
  if (exists) throw new TradepipeError('config_invalid', `schema ${schema} already exists: the dev stack replays into a new schema (choose another --schema, or leave it out)`);
  return {
    url,
    schema,
    drop: () => withClient(url, async (client) => void (await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))),
  };
}
