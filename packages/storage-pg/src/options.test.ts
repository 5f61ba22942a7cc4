import { isTradepipeError } from '@tradepipe/core';
import { describe, expect, it } from 'vitest';
import { PgStoreOptionsSchema, pgConnectionFromConfig, pgConnectionFromEnv } from './options.js';
import { createPgStore } from './pg-store.js';
import { createPgliteStore } from './pglite-store.js';

describe('pgConnectionFromEnv', () => {
  it('prefers DATABASE_URL', () => {
    expect(pgConnectionFromEnv({ DATABASE_URL: 'postgres://app@db/trading', DB_HOST: 'ignored' })).toEqual({ connectionString: 'postgres://app@db/trading' });
  });

  it("reads the seed's DB_* variables with core's defaults", () => {
    expect(pgConnectionFromEnv({ DB_HOST: 'postgres.trading.svc', DB_PORT: '6432', DB_NAME: 'crypto', DB_USER: 'svc', DB_PASSWORD: 'pw', DB_SSL: 'true' })).toEqual({
      host: 'postgres.trading.svc',
      port: 6432,
      database: 'crypto',
      user: 'svc',
      password: 'pw',
      ssl: true,
    });
    expect(pgConnectionFromEnv({})).toEqual({ host: '127.0.0.1', port: 5432, database: 'crypto_trading', user: 'postgres' });
  });

  it('reads DB_SSL as core loadConfig does: true/false, 1/0, yes/no in any case', () => {
    for (const text of ['true', 'TRUE', '1', 'Yes']) expect(pgConnectionFromEnv({ DB_SSL: text }), text).toMatchObject({ ssl: true });
    for (const text of ['false', 'False', '0', 'NO']) expect(pgConnectionFromEnv({ DB_SSL: text }), text).not.toHaveProperty('ssl');
    expect(() => pgConnectionFromEnv({ DB_SSL: 'on' })).toThrow('Invalid database environment variables: DB_SSL');
  });

  it('names the malformed variable, never its value', () => {
    let error: unknown;
    try {
      pgConnectionFromEnv({ DB_PORT: 'not-a-port-s3cret', DB_SSL: 'maybe' });
    } catch (thrown) {
      error = thrown;
    }
    expect(isTradepipeError(error, 'config_invalid')).toBe(true);
    expect((error as Error).message).toContain('DB_PORT');
    expect((error as Error).message).toContain('DB_SSL');
    expect(JSON.stringify(error)).not.toContain('s3cret');
  });

  it('maps core config database settings', () => {
    expect(pgConnectionFromConfig({ url: undefined, host: 'h', port: 1, name: 'n', user: 'u', password: undefined, ssl: false })).toEqual({
      host: 'h',
      port: 1,
      database: 'n',
      user: 'u',
    });
    expect(pgConnectionFromConfig({ url: 'postgres://x', host: 'h', port: 1, name: 'n', user: 'u' })).toEqual({ connectionString: 'postgres://x' });
  });
});

describe('store options', () => {
  it('defaults and checks the plain settings', () => {
    expect(PgStoreOptionsSchema.parse({})).toMatchObject({ schema: 'tradepipe', poolSize: 10, migrate: true });
    expect(PgStoreOptionsSchema.safeParse({ schema: 'Robert"; DROP TABLE' }).success).toBe(false);
  });

  it('refuses a store without a connection, or with a bad schema name, before connecting', async () => {
    await expect(createPgStore({})).rejects.toMatchObject({ code: 'config_invalid' });
    await expect(createPgStore({ connectionString: 'postgres://127.0.0.1:1/x', schema: 'Bad-Name' })).rejects.toMatchObject({ code: 'config_invalid' });
    await expect(createPgliteStore({ schema: 'x; DROP SCHEMA public' })).rejects.toMatchObject({ code: 'config_invalid' });
  });
});
