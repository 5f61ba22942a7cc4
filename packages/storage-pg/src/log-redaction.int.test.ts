import { inspect } from 'node:util';
import type { Logger } from '@tradepipe/core';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgStore } from './pg-store.js';
import { TEST_DATABASE_URL, dropSchema, openTestPool, testSchemaName } from './test-database.js';

const probe = await openTestPool(1);
await probe?.end();

/** A user's own sink that prints errors as pino or console would: message, stack and cause. */
function inspectingLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) => void lines.push(`${level} ${message} ${inspect(fields, { depth: 6 })}`);
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

describe.runIf(probe !== undefined)('logging to a logger of your own', () => {
  const schema = testSchemaName('log_redaction');
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('never hands it a secret, even inside a driver error', async () => {
    const logger = inspectingLogger();
    const store = await createPgStore({ pool, schema, logger });
    const secret = 'hunter2-not-for-logs';
    pool.emit('error', new Error(`connection to postgres://trader:${secret}@db.internal:5432/tradepipe lost`), new pg.Client());
    expect(logger.lines.some((line) => line.includes('storage idle connection failed'))).toBe(true);
    expect(logger.lines.join('\n')).not.toContain(secret);
    await store.close();
  });
});
