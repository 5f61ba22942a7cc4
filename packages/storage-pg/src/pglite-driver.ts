import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { SqlDriver, SqlExecutor, SqlRow } from './sql-driver.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const keepText = (value: string): string => value;

// PGlite returns int8 as number (BigInt past 2^53) by default; keep int8 and numeric as text, as with pg.
const QUERY_OPTIONS = { parsers: { [INT8_OID]: keepText, [NUMERIC_OID]: keepText } };

async function run<Row extends SqlRow>(target: PGlite | Transaction, text: string, params: readonly unknown[] = []): Promise<Row[]> {
  const result = await target.query<Row>(text, params as unknown[], QUERY_OPTIONS);
  return result.rows;
}

/** Options of {@link createPgliteDriver}. @internal */
export interface PgliteDriverOptions {
  readonly ownsDatabase: boolean;
  /**
   * Benchmarks and tests only: called once per exchange with the WebAssembly backend (a round trip), PGlite's
   * own included (its `query` makes six, `exec` two). Wraps the instance's `execProtocolStream`.
   */
  readonly onRoundTrip?: () => void;
}

// Every statement PGlite runs, its own included, goes through `execProtocolStream`: count there.
function countExchanges(database: PGlite, onRoundTrip: () => void): void {
  const exchange = database.execProtocolStream.bind(database);
  database.execProtocolStream = (message, exchangeOptions) => {
    onRoundTrip();
    return exchange(message, exchangeOptions);
  };
}

/**
 * A {@link SqlDriver} over an embedded PGlite instance. PGlite is one session: statements and transactions
 * run one after another, so claims never race; notifications are delivered in process.
 * @internal
 */
export function createPgliteDriver(database: PGlite, options: PgliteDriverOptions): SqlDriver {
  if (options.onRoundTrip !== undefined) countExchanges(database, options.onRoundTrip);
  return {
    name: 'pglite',
    query: (text, params) => run(database, text, params),
    exec: async (script) => {
      await database.exec(script);
    },
    transaction<T>(work: (executor: SqlExecutor) => Promise<T>): Promise<T> {
      return database.transaction((transaction) =>
        work({
          query: (text, params) => run(transaction, text, params),
          exec: async (script) => {
            await transaction.exec(script);
          },
        }),
      );
    },
    async listen(channel, onNotification) {
      const unlisten = await database.listen(channel, onNotification);
      return async () => {
        if (!database.closed) await unlisten();
      };
    },
    async close() {
      if (options.ownsDatabase && !database.closed) await database.close();
    },
  };
}
