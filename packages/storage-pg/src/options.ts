import { BooleanTextSchema, TradepipeError } from '@tradepipe/core';
import { z } from 'zod';
import { DEFAULT_SCHEMA, SCHEMA_NAME_PATTERN } from './migrate.js';

/**
 * zod schema of the plain (serialisable) options of {@link createPgStore}: where the server is, which
 * schema holds the tables, the pool size and whether to migrate on start.
 */
export const PgStoreOptionsSchema = z.object({
  /** `postgres://user:password@host:5432/db`; ignored when a pool is given. */
  connectionString: z.string().min(1).optional(),
  /** Schema holding the tables (default `tradepipe`): a lower-case identifier of at most 47 characters. */
  schema: z.string().regex(SCHEMA_NAME_PATTERN, 'expected a lower-case identifier of at most 47 characters').default(DEFAULT_SCHEMA),
  /** Most connections of the pool the store creates (default 10). */
  poolSize: z.number().int().min(2).max(1000).default(10),
  /** Apply pending migrations when the store is created (default true). */
  migrate: z.boolean().default(true),
  /** Server-side statement timeout of the pool the store creates, ms (default 30 000; 0 disables it). */
  statementTimeoutMs: z.number().int().nonnegative().default(30_000),
  /** `application_name` reported to the server (default `tradepipe`). */
  applicationName: z.string().min(1).max(63).default('tradepipe'),
});

/** Plain options of {@link createPgStore}, as given; see {@link PgStoreOptionsSchema}. */
export interface PgStoreSettings extends z.input<typeof PgStoreOptionsSchema> {}

/** Where to connect: a URL, or the parts the seed's services read from `DB_*` variables. */
export type PgConnectionConfig =
  | { readonly connectionString: string; readonly ssl?: boolean }
  | { readonly host: string; readonly port: number; readonly database: string; readonly user: string; readonly password?: string; readonly ssl?: boolean };

const EnvSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  DB_HOST: z.string().min(1).optional(),
  DB_PORT: z.string().regex(/^\d{1,5}$/, 'expected a port number').optional(),
  DB_NAME: z.string().min(1).optional(),
  DB_USER: z.string().min(1).optional(),
  DB_PASSWORD: z.string().optional(),
  DB_SSL: BooleanTextSchema.optional(),
});

/**
 * Reads the database connection from environment variables, as core's `loadConfig` does: `DATABASE_URL`,
 * or the seed's `DB_HOST` (default `127.0.0.1`), `DB_PORT` (5432), `DB_NAME` (`crypto_trading`), `DB_USER`
 * (`postgres`), `DB_PASSWORD` and `DB_SSL` (`true`/`false`, `1`/`0` or `yes`/`no`, any case: core's `BooleanTextSchema`,
 * as `loadConfig` reads it). Errors name the variables at fault, never values.
 * @param env the variables to read (pass `process.env`)
 * @returns a connection config for {@link createPgStore}
 * @throws TradepipeError `config_invalid` if a value is malformed
 * @example
 * const store = await createPgStore({ ...pgConnectionFromEnv(process.env), schema: 'tradepipe' });
 */
export function pgConnectionFromEnv(env: Readonly<Record<string, string | undefined>>): PgConnectionConfig {
  const picked = Object.fromEntries(Object.keys(EnvSchema.shape).flatMap((key) => (env[key] === undefined || env[key] === '' ? [] : [[key, env[key]]])));
  const result = EnvSchema.safeParse(picked);
  if (!result.success) {
    const variables = result.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new TradepipeError('config_invalid', `Invalid database environment variables: ${variables}`, { details: { variables } });
  }
  const vars = result.data;
  return pgConnectionFromConfig({
    url: vars.DATABASE_URL,
    host: vars.DB_HOST ?? '127.0.0.1',
    port: vars.DB_PORT === undefined ? 5432 : Number(vars.DB_PORT),
    name: vars.DB_NAME ?? 'crypto_trading',
    user: vars.DB_USER ?? 'postgres',
    password: vars.DB_PASSWORD,
    ssl: vars.DB_SSL === true,
  });
}

/**
 * Turns the `database` section of core's `TradepipeConfig` into a connection config: the URL when set,
 * else host, port, name, user and password.
 * @returns a connection config for {@link createPgStore}
 * @example
 * const store = await createPgStore({ ...pgConnectionFromConfig(loadConfig(process.env).database) });
 */
export function pgConnectionFromConfig(database: {
  readonly url?: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly user: string;
  readonly password?: string | undefined;
  readonly ssl?: boolean;
}): PgConnectionConfig {
  const ssl = database.ssl === true ? { ssl: true } : {};
  if (database.url !== undefined) return { connectionString: database.url, ...ssl };
  return {
    host: database.host,
    port: database.port,
    database: database.name,
    user: database.user,
    ...(database.password === undefined ? {} : { password: database.password }),
    ...ssl,
  };
}
