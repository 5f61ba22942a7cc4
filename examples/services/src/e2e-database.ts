import pg from 'pg';

/** The PostgreSQL server the end-to-end tests use (trust auth, database `test`). */
export const TEST_DATABASE = { host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' } as const;

/** Whether PostgreSQL answers at {@link TEST_DATABASE}. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ ...TEST_DATABASE, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
