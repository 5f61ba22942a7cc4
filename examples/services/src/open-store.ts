import { pgConnectionFromConfig, createPgStore } from '@tradepipe/storage-pg';
import { TradepipeError, isTradepipeError, type Clock, type Logger, type PipelineStore, type TradepipeConfig } from '@tradepipe/core';
import { readPackageOptions } from './package-options.js';

/**
 * Opens the shared PostgreSQL store: `DATABASE_URL` or `DB_HOST`/`DB_PORT`/`DB_NAME`/`DB_USER`/`DB_PASSWORD`
 * (core's config), `STORE_*` options. Migrations run on open under an advisory lock, so services and
 * replicas starting together apply each migration once. With a `clock`, the store reads "now" (leases, expiry)
 * from it instead of the database (the dev clock: the store must read the time the stages read).
 * @throws TradepipeError `not_found` naming the schema, with `existingOnly`, when it holds no tradepipe tables
 */
export async function openStore(input: {
  readonly config: TradepipeConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly service: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Refuse (`not_found`) a schema that holds no tradepipe tables instead of creating it: the operator commands. */
  readonly existingOnly?: boolean;
}): Promise<PipelineStore> {
  const settings = readPackageOptions('store', input.env, { applicationName: `tradepipe-${input.service}` });
  try {
    return await createPgStore({
      ...pgConnectionFromConfig(input.config.database),
      ...settings,
      logger: input.logger,
      ...(input.clock === undefined ? {} : { clock: input.clock }),
      ...(input.existingOnly === true ? { createSchema: false } : {}),
    });
  } catch (error) {
    if (input.existingOnly === true && isTradepipeError(error, 'not_found') && error.details.schema === settings.schema) {
      const schema = settings.schema;
      throw new TradepipeError('not_found', `Schema ${schema} holds no tradepipe tables (nothing was created): check STORE_SCHEMA, or create them with 'tradepipe migrate --schema ${schema}'`, {
        cause: error,
        details: { schema },
      });
    }
    throw error;
  }
}

/**
 * The schema holding the services' tables: `STORE_SCHEMA` (trimmed; unset or empty means the default, `tradepipe`),
 * parsed exactly as {@link openStore} parses it. Operator tools use it to act on the schema the services use.
 * @throws TradepipeError `config_invalid` naming `STORE_SCHEMA` when it is not a lower-case identifier
 */
export function storeSchemaFromEnv(env: Readonly<Record<string, string | undefined>>): string {
  return readPackageOptions('store', { STORE_SCHEMA: env.STORE_SCHEMA }).schema;
}
