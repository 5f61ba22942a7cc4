import pg from 'pg';

/** The PostgreSQL the CLI's integration tests use (trust auth, database `test`). @internal */
export const TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether PostgreSQL answers at {@link TEST_DATABASE_URL}. When it does not, says loudly that `what` is skipped,
 * and throws instead when `CI` is set: a test that does not run proves nothing.
 * @internal
 */
export async function postgresForTest(what: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2_000 });
  const available = await client.connect().then(
    () => true,
    () => false,
  );
  await client.end().catch(() => undefined);
  if (!available) {
    const message = `PostgreSQL is not reachable at ${TEST_DATABASE_URL}: the ${what} test is SKIPPED`;
    if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') throw new Error(`${message} (and CI is set, so this fails)`);
    process.stderr.write(`\n!!! ${message}\n\n`);
  }
  return available;
}
