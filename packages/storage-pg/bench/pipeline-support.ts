/** The full pipeline and instrumented stores of the candle-path benchmark (not part of the package). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import {
  DEFAULT_GAP_POLICY,
  createHmacApprovalSigner,
  createPipeline,
  decimal,
  parseCandleCsv,
  sequenceCandles,
  silentLogger,
  type Candle,
  type ManualClock,
  type Pipeline,
  type PipelineStore,
} from '@tradepipe/core';
import { PaperExecutor, fundPaperAccount } from '@tradepipe/coinbase';
import { FEATURE_NAMES, FEATURE_SET_VERSION, createFeatureSet } from '@tradepipe/features';
import { createRuleValidator } from '@tradepipe/llm-validator';
import { loadDefaultModel } from '@tradepipe/model';
import { createExitPolicy, createRiskManager } from '@tradepipe/risk';
import pg from 'pg';
import { quoteSchema, runMigrations } from '../src/migrate.js';
import { createPgDriver } from '../src/pg-driver.js';
import { createPgliteDriver, mayCopyFromFiles } from '../src/pglite-driver.js';
import { growMemoryFilesInLargerSteps } from '../src/pglite-memory.js';
import { SqlStore } from '../src/sql-store.js';
import { DATABASE_URL } from './bench-support.js';

/** The first day the default model did not train on (as in the embedded example). */
export const HOLD_OUT_START_MS = Date.UTC(2024, 8, 25);

/** The bundled BTC-USD daily candles, through core's CSV parser and gap policy. */
export function loadBundledDailyCandles(): Candle[] {
  const path = fileURLToPath(new URL('../../../data/btc-usd-1d.csv', import.meta.url));
  return sequenceCandles(parseCandleCsv({ text: readFileSync(path, 'utf8'), productId: 'BTC-USD', granularity: 'ONE_DAY' }), DEFAULT_GAP_POLICY);
}

/** The embedded example's wiring (examples/embedded/src/embedded-pipeline.ts), on the given store and clock. */
export async function createEmbeddedBenchPipeline(store: PipelineStore, clock: ManualClock): Promise<Pipeline> {
  const signer = createHmacApprovalSigner({ keyId: 'bench', secret: 'bench-secret-bench-secret-bench-secret' });
  await store.putProduct({
    productId: 'BTC-USD',
    baseCurrency: 'BTC',
    quoteCurrency: 'USD',
    baseIncrement: decimal('0.00000001'),
    quoteIncrement: decimal('0.01'),
    priceIncrement: decimal('0.01'),
    baseMinSize: decimal('0.00000001'),
    quoteMinSize: decimal('1'),
    status: 'online',
  });
  await fundPaperAccount(store, { USD: '1000' }, clock.nowMs());
  return createPipeline({
    pipelineId: 'bench-btc-usd',
    store,
    clock,
    logger: silentLogger,
    features: createFeatureSet(),
    model: await loadDefaultModel({ expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION }),
    validator: createRuleValidator({ name: 'rules', minConfidence: 0.4 }),
    risk: createRiskManager({
      signer,
      approvalTtlMs: 5 * 60_000,
      limits: { maxOrderQuote: 100, maxPositionQuote: 600, maxTotalExposureQuote: 600, maxPortfolioHeat: 0.5, maxDailyLossFraction: 0.05, maxOrdersPerHour: 10 },
    }),
    exits: createExitPolicy({ stopLossAtr: 2, takeProfitAtr: 4, trailingStopAtr: 3, recommendationTtlMs: 10 * 60_000 }),
    executor: new PaperExecutor({ approvalSigner: signer, slippageBps: 5, takerFeeRateBps: 120 }),
  });
}

/** The stores the benchmarks compare. */
export type StoreKind = 'memory' | 'pglite' | 'postgres';

/** A SQL store whose driver counts its round trips. */
export interface InstrumentedStore {
  readonly store: PipelineStore;
  roundTrips(): number;
  /** Closes the store, and drops the bench schema on the server. */
  close(): Promise<void>;
}

/** Opens a SQL store (fresh in-memory PGlite, or a fresh schema on the server) with a round-trip counter. */
export async function openInstrumentedStore(kind: 'pglite' | 'postgres', clock: ManualClock): Promise<InstrumentedStore> {
  let roundTrips = 0;
  const onRoundTrip = (): void => {
    roundTrips += 1;
  };
  const schema = `tp_bench_path_${process.pid}`;
  if (kind === 'pglite') {
    const database = await PGlite.create();
    growMemoryFilesInLargerSteps(database); // as createPgliteStore does with every instance, a caller's too
    // As createPgliteStore opens it: COPY through the in-memory file system when the role may read server files.
    const driver = createPgliteDriver(database, { ownsDatabase: true, onRoundTrip, copyFromFiles: await mayCopyFromFiles(database) });
    await runMigrations(driver, schema);
    const store = new SqlStore({ driver, schema, s: quoteSchema(schema), clock, logger: silentLogger });
    return { store, roundTrips: () => roundTrips, close: () => store.close() };
  }
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  const driver = createPgDriver(pool, { ownsPool: false, logger: silentLogger, onRoundTrip });
  await runMigrations(driver, schema);
  const store = new SqlStore({ driver, schema, s: quoteSchema(schema), clock, logger: silentLogger });
  const close = async (): Promise<void> => {
    await store.close();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  };
  return { store, roundTrips: () => roundTrips, close };
}

/** A store that counts calls per method (and the round trips during each), for the figures and BENCH_DETAIL. */
export function createCountingStore(inner: PipelineStore, roundTrips: () => number) {
  const calls = new Map<string, { calls: number; roundTrips: number; ms: number }>();
  const store = new Proxy(inner, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string' || key === 'waitForWork') return value;
      return async (...args: unknown[]) => {
        const before = roundTrips();
        const startedAt = performance.now();
        try {
          return await (value as (...inner: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          const entry = calls.get(key) ?? { calls: 0, roundTrips: 0, ms: 0 };
          const ms = entry.ms + performance.now() - startedAt;
          calls.set(key, { calls: entry.calls + 1, roundTrips: entry.roundTrips + roundTrips() - before, ms });
        }
      };
    },
  });
  let roundTripsAtReset = roundTrips();
  return {
    store,
    reset(): void {
      calls.clear();
      roundTripsAtReset = roundTrips();
    },
    calls: (): number => [...calls.values()].reduce((sum, entry) => sum + entry.calls, 0),
    roundTrips: (): number => roundTrips() - roundTripsAtReset,
    /** Per method: calls, round trips and ms per candle (overlapping calls may share round trips and time). */
    print(kind: string, candles: number): void {
      console.log(`\n${kind}: per store method, per candle`);
      for (const [method, entry] of [...calls.entries()].sort((a, b) => b[1].roundTrips - a[1].roundTrips || b[1].calls - a[1].calls)) {
        const perCandle = (value: number, width: number): string => (value / candles).toFixed(2).padStart(width);
        console.log(`  ${method.padEnd(36)} ${perCandle(entry.calls, 7)} calls ${perCandle(entry.roundTrips, 8)} round trips ${perCandle(entry.ms, 8)} ms`);
      }
    },
  };
}
