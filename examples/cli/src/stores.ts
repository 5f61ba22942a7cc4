import { createPgStore, pgConnectionFromEnv } from '@tradepipe/storage-pg';
import type { PipelineStore } from '@tradepipe/core';
import { stringOption } from './arguments.js';
import type { CliIo } from './io.js';

/** The `--database-url` option, shared by every command that opens the shared store. */
export const DATABASE_OPTION = {
  'database-url': { type: 'string', value: '<url>', description: 'PostgreSQL URL (default DATABASE_URL, or DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD)' },
} as const;

/** Opens the shared PostgreSQL store (migrated on open) from `--database-url` or the environment. */
export function openSharedStore(values: Readonly<Record<string, string | boolean | undefined>>, io: CliIo): Promise<PipelineStore> {
  const url = stringOption(values, 'database-url');
  const env = url === undefined ? io.env : { ...io.env, DATABASE_URL: url };
  return createPgStore({ ...pgConnectionFromEnv(env), applicationName: 'tradepipe-cli' });
}
