/**
 * Where the main job's replay time goes on PGlite (issue 12): the hold-out year of `npm start`
 * (examples/embedded: bundled BTC-USD daily candles, the default model, rule validator, risk, paper executor)
 * replayed candle by candle and batched, each on a fresh in-memory PGlite store, counting for each mode:
 * - store calls reaching the PGlite store (under the batched replay's store view: what the view did not answer),
 *   with their wall time;
 * - exchanges with the WebAssembly backend (round trips: one per statement, BEGIN riding with the first one of a
 *   transaction, COMMIT one more), and the process CPU time spent inside them, per SQL statement.
 * A profiling aid, not a target: no MET/MISSED. Exchanges are counted by wrapping
 * `PGlite.prototype.execProtocolRawStream` (the store's statements) and `execProtocolStream` (PGlite's own, e.g.
 * `listen`); statements are named by the SQL
 * text of their first Parse. Run: `npx tsx --conditions=@tradepipe/source bench/main-job-round-trips.bench.ts`
 * (`ROUND_TRIPS_MODE=batched` or `reference` for one mode; `ROUND_TRIPS_STATEMENTS=N` rows of the statement table).
 */
import { PGlite } from '@electric-sql/pglite';
import { createManualClock, replayCandles, replayCandlesBatched, silentLogger, type PipelineStore } from '@tradepipe/core';
import { createPgliteStore } from '@tradepipe/storage-pg';
import { loadBundledCandles } from '../examples/embedded/src/bundled-candles.js';
import { createEmbeddedPipeline } from '../examples/embedded/src/embedded-pipeline.js';

/** The first day the default model did not train on (as in the main job). */
const HOLD_OUT_START_MS = Date.UTC(2024, 8, 25);
const STATEMENT_ROWS = Number(process.env.ROUND_TRIPS_STATEMENTS ?? 25);

/** Counted while a mode runs: exchanges and their CPU per statement, store calls and their wall time. */
interface Tally {
  exchanges: number;
  readonly statements: Map<string, { count: number; cpuMs: number }>;
  readonly calls: Map<string, { count: number; wallMs: number }>;
}

let tally: Tally | undefined;
/** Prepared statement name → the start of its SQL, learned from the Parse message that created it. */
const statementTexts = new Map<string, string>();

/** SQL on one line, the store's "now" expression shortened to `now`, cut at 110 characters. */
const shortSql = (sql: string): string =>
  sql.replace(/coalesce\(\$\d+::bigint, floor\(extract\(epoch from clock_timestamp\(\)\) \* 1000\)::bigint\)/g, 'now').replace(/\s+/g, ' ').trim().slice(0, 110);

/** The statement an exchange runs: a named prepared statement's SQL, or a script's start. */
function statementOf(message: Uint8Array): string {
  const text = Buffer.from(message).toString('latin1');
  const name = /tradepipe_\d+/.exec(text)?.[0];
  if (name === undefined) return `script: ${text.slice(5, 60).replace(/\s+/g, ' ').trim()}`;
  const parsed = /P[\s\S]{4}tradepipe_\d+\0([^\0]+)\0/.exec(text);
  if (parsed !== null && !statementTexts.has(name)) statementTexts.set(name, shortSql(parsed[1]!));
  return statementTexts.get(name) ?? name;
}

/** `exchange` (one of PGlite's exchange methods) counted and timed into the current tally. */
function countedExchange<Options, Result>(exchange: (this: PGlite, message: Uint8Array, options: Options) => Promise<Result>) {
  return async function counted(this: PGlite, message: Uint8Array, options: Options): Promise<Result> {
    const statement = statementOf(message); // learns the statements prepared before a tally too
    const current = tally;
    if (current === undefined) return exchange.call(this, message, options);
    const started = process.cpuUsage();
    try {
      return await exchange.call(this, message, options);
    } finally {
      const used = process.cpuUsage(started);
      const entry = current.statements.get(statement) ?? { count: 0, cpuMs: 0 };
      entry.count += 1;
      entry.cpuMs += (used.user + used.system) / 1000;
      current.statements.set(statement, entry);
      current.exchanges += 1;
    }
  };
}
// The store's exchanges (raw, read by the store itself) and PGlite's own (parsed by PGlite).
PGlite.prototype.execProtocolRawStream = countedExchange(PGlite.prototype.execProtocolRawStream);
PGlite.prototype.execProtocolStream = countedExchange(PGlite.prototype.execProtocolStream);

/** The store with every method call counted and timed into the current tally. */
function countingStore(store: PipelineStore): PipelineStore {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        const current = tally;
        const result = method.apply(target, args);
        if (current === undefined || !(result instanceof Promise)) return result;
        const started = performance.now();
        const settle = (): void => {
          const entry = current.calls.get(property) ?? { count: 0, wallMs: 0 };
          entry.count += 1;
          entry.wallMs += performance.now() - started;
          current.calls.set(property, entry);
        };
        return result.finally(settle);
      };
    },
  });
}

async function runMode(mode: 'reference' | 'batched'): Promise<void> {
  const data = loadBundledCandles();
  const history = data.candles.filter((candle) => candle.startMs < HOLD_OUT_START_MS);
  const holdOut = data.candles.filter((candle) => candle.startMs >= HOLD_OUT_START_MS);
  const clock = createManualClock(HOLD_OUT_START_MS);
  const pglite = await createPgliteStore({ clock });
  try {
    const store = countingStore(pglite);
    await store.putCandles(history, { state: 'DONE' });
    const pipeline = await createEmbeddedPipeline({ store, clock, logger: silentLogger, approvalSecret: 'a'.repeat(64) });
    const current: Tally = { exchanges: 0, statements: new Map(), calls: new Map() };
    tally = current;
    const startedAtMs = performance.now();
    const startedCpu = process.cpuUsage();
    let fullPathCandles = holdOut.length;
    if (mode === 'batched') fullPathCandles = (await replayCandlesBatched({ pipeline, store, clock, candles: holdOut })).fullPathCandles;
    else await replayCandles({ pipeline, store, clock, candles: holdOut });
    const wallMs = performance.now() - startedAtMs;
    const used = process.cpuUsage(startedCpu);
    tally = undefined;
    const exchangeCpuMs = [...current.statements.values()].reduce((sum, entry) => sum + entry.cpuMs, 0);
    const calls = [...current.calls.values()].reduce((sum, entry) => sum + entry.count, 0);
    const lines = [
      `${mode}: ${holdOut.length} candles (${fullPathCandles} through the stages) in ${(wallMs / 1000).toFixed(2)} s wall, ${((used.user + used.system) / 1000 / 1000).toFixed(2)} s CPU`,
      `  store calls ${calls} (${(calls / holdOut.length).toFixed(1)} per candle), exchanges ${current.exchanges} (${(current.exchanges / holdOut.length).toFixed(1)} per candle), ${(exchangeCpuMs / 1000).toFixed(2)} s CPU inside exchanges`,
      '  store calls reaching PGlite (count, wall ms):',
      ...[...current.calls].sort((a, b) => b[1].wallMs - a[1].wallMs).map(([name, entry]) => `    ${name.padEnd(38)} ${String(entry.count).padStart(6)} ${entry.wallMs.toFixed(0).padStart(7)}`),
      `  statements by CPU inside their exchanges (count, CPU ms), top ${STATEMENT_ROWS}:`,
      ...[...current.statements].sort((a, b) => b[1].cpuMs - a[1].cpuMs).slice(0, STATEMENT_ROWS).map(([text, entry]) => `    ${String(entry.count).padStart(6)} ${entry.cpuMs.toFixed(0).padStart(6)}  ${text}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    tally = undefined;
    await pglite.close();
  }
}

const only = process.env.ROUND_TRIPS_MODE;
for (const mode of ['reference', 'batched'] as const) {
  if (only === undefined || only === mode) await runMode(mode);
}
