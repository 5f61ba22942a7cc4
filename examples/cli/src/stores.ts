import { createPgStore, pgConnectionFromEnv } from '@tradepipe/storage-pg';
import type { PipelineStore } from '@tradepipe/core';
import { stringOption } from './arguments.js';
import type { CliIo } from './io.js';

/** The `--database-url` option, shared by every command that opens the shared store. */
export const DATABASE_OPTION = {
  'database-url': { type: 'string', value: '<url>', description: 'PostgreSQL URL (default DATABASE_URL, or DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD)' },
} as const;

/** The `--schema` option of commands that open the shared store in a schema other than the default. */
export const SCHEMA_OPTION = {
  schema: { type: 'string', value: '<name>', description: 'schema holding the tables (default tradepipe)' },
} as const;

/** Opens the shared PostgreSQL store (migrated on open) from `--database-url` (and `--schema`) or the environment. */
export function openSharedStore(values: Readonly<Record<string, string | boolean | undefined>>, io: CliIo): Promise<PipelineStore> {
  const url = stringOption(values, 'database-url');
  const schema = stringOption(values, 'schema');
  const env = url === undefined ? io.env : { ...io.env, DATABASE_URL: url };
  return createPgStore({ ...pgConnectionFromEnv(env), applicationName: 'tradepipe-cli', ...(schema === undefined ? {} : { schema }) });
}
