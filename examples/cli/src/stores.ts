import { storeSchemaFromEnv } from '@tradepipe/example-services';
import { createPgStore, pgConnectionFromEnv, SCHEMA_NAME_PATTERN, type PgConnectionConfig } from '@tradepipe/storage-pg';
import { TradepipeError, isTradepipeError, type PipelineStore } from '@tradepipe/core';
import { stringOption } from './arguments.js';
import { UsageError } from './cli-errors.js';
import type { CliIo } from './io.js';

type Values = Readonly<Record<string, string | boolean | undefined>>;

/** The `--database-url` option, shared by every command that opens the shared store. */
export const DATABASE_OPTION = {
  'database-url': { type: 'string', value: '<url>', description: 'PostgreSQL URL (default DATABASE_URL, or DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD)' },
} as const;

/** The `--schema` option, shared by every command that opens the shared store (see {@link storeSchemaOf}). */
export const SCHEMA_OPTION = {
  schema: { type: 'string', value: '<name>', description: 'schema holding the tables (default STORE_SCHEMA, else tradepipe)' },
} as const;

/** `--database-url` and `--schema`: the options of every command that opens the shared PostgreSQL store. */
export const STORE_OPTIONS = { ...DATABASE_OPTION, ...SCHEMA_OPTION } as const;

/**
 * The schema a command opens the shared store in: `--schema`, else `STORE_SCHEMA` (read as the services read
 * it), else `tradepipe` — so an operator command acts on the schema the services of the same environment use.
 * @throws UsageError when `--schema` is not a lower-case identifier; TradepipeError `config_invalid` when `STORE_SCHEMA` is not
 */
export function storeSchemaOf(values: Values, env: CliIo['env']): string {
  const schema = stringOption(values, 'schema');
  if (schema === undefined) return storeSchemaFromEnv(env);
  if (!SCHEMA_NAME_PATTERN.test(schema)) throw new UsageError(`--schema must be a lower-case identifier of at most 47 characters (a-z, 0-9, _), not '${schema}'`);
  return schema;
}

/** Where the shared store is: `--database-url`, else `DATABASE_URL` or the `DB_*` variables. @throws TradepipeError `config_invalid` */
export function storeConnectionOf(values: Values, env: CliIo['env']): PgConnectionConfig {
  const url = stringOption(values, 'database-url');
  return pgConnectionFromEnv(url === undefined ? env : { ...env, DATABASE_URL: url });
}

/**
 * Opens the shared PostgreSQL store from `--database-url` or the environment, in the schema of
 * {@link storeSchemaOf}, applying pending migrations. With `create: false` (the operator commands, which act on an
 * existing deployment's store) a schema that holds no tradepipe tables is refused and nothing is created: a
 * mistyped `--schema` must fail, not engage a kill switch in an empty schema of its own.
 * @throws TradepipeError `not_found` naming the schema and `tradepipe migrate --schema <name>`, with `create: false`
 */
export async function openSharedStore(values: Values, io: CliIo, options: { readonly create: boolean }): Promise<PipelineStore> {
  const schema = storeSchemaOf(values, io.env);
  try {
    return await createPgStore({ ...storeConnectionOf(values, io.env), applicationName: 'tradepipe-cli', schema, createSchema: options.create });
  } catch (error) {
    if (!options.create && isTradepipeError(error, 'not_found') && error.details.schema === schema) {
      throw new TradepipeError('not_found', `schema ${schema} holds no tradepipe tables (nothing was created): check --schema / STORE_SCHEMA, or create them with 'tradepipe migrate --schema ${schema}'`, {
        cause: error,
        details: { schema },
      });
    }
    throw error;
  }
}

/**
 * Runs `work` on the existing shared store ({@link openSharedStore} with `create: false`, the operator commands'),
 * closing it after, whatever `work` did.
 */
export async function withExistingSharedStore<T>(values: Values, io: CliIo, work: (store: PipelineStore) => Promise<T>): Promise<T> {
  const store = await openSharedStore(values, io, { create: false });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
