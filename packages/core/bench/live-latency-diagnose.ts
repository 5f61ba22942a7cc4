/**
 * Diagnoses the live path's slow candles: times every candle (start, duration, each stage's `run`), records the
 * GC events (PerformanceObserver 'gc') and every timer callback of the process (setTimeout / setInterval, by
 * their source), then prints, for the slowest 1 % of candles, what overlapped them. Not part of `npm run bench`.
 * With `DIAG_STORE=pglite`, on a PGlite store: each slow candle's exchanges with the backend (count, time inside
 * them, the slowest one's first bytes), every candle's minor page faults, and the measured candles' exchanges by
 * statement (count and time inside PGlite per candle, with the statement's SQL). `DIAG_TRACE_EXCHANGES=1` also
 * counts each exchange's page faults (a system call per exchange); `DIAG_PLANS=1` prints each prepared
 * statement's generic and custom plan counts at the end; `DIAG_PLAN_CACHE_MODE` sets the session's
 * `plan_cache_mode` first.
 * Run: node --import tsx --conditions=@tradepipe/source bench/live-latency-diagnose.ts   (DIAG_CANDLES, DIAG_WARMUP;
 * prefix `chrt -f 10` to take most preemption by other processes out — but a real-time process that runs flat out
 * is throttled by the kernel for 50 ms in every second (`sched_rt_runtime_us` 950,000 of 1,000,000): at that
 * priority, stalls of ≈ 50 ms about once a second with no GC, no page fault and no exchange are the throttle)
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';

interface Span { readonly startMs: number; readonly endMs: number; readonly label: string }
const timerSpans: Span[] = [];
const labels = new WeakMap<object, string>();
/** A timer callback's label: the start of its source. */
function labelOf(callback: (...args: unknown[]) => void): string {
  let label = labels.get(callback);
  if (label === undefined) {
    label = callback.toString().replace(/\s+/g, ' ').slice(0, 70);
    labels.set(callback, label);
  }
  return label;
}
/** A setTimeout / setInterval that records each callback's run. */
function wrapTimer<T extends (...args: never[]) => unknown>(original: T): T {
  return ((callback: (...args: unknown[]) => void, delayMs?: number, ...args: unknown[]) => {
    const label = labelOf(callback);
    return (original as unknown as (...inner: unknown[]) => unknown)(
      function (this: unknown) {
        const startMs = performance.now();
        try {
          callback.apply(this, args);
        } finally {
          timerSpans.push({ startMs, endMs: performance.now(), label });
        }
      },
      delayMs,
    );
  }) as unknown as T;
}
globalThis.setTimeout = wrapTimer(globalThis.setTimeout);
globalThis.setInterval = wrapTimer(globalThis.setInterval);

const gcSpans: Span[] = [];
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
    gcSpans.push({ startMs: entry.startTime, endMs: entry.startTime + entry.duration, label: ({ 1: 'scavenge', 4: 'mark-compact', 8: 'incremental', 16: 'weak-callbacks' } as Record<number, string>)[kind ?? 0] ?? String(kind) });
  }
});
observer.observe({ entryTypes: ['gc'] });

// Imported after the timers are wrapped: what the modules set up records too.
const { createMemoryStore, wrapEveryStage } = await import('../src/index.js');
type PipelineStore = import('../src/index.js').PipelineStore;
const { alternatingCandles, createLivePathPipeline } = await import('./live-path.js');

const WARMUP = Number(process.env.DIAG_WARMUP ?? 200);
const MEASURED = Number(process.env.DIAG_CANDLES ?? 5_000);
const STORE = process.env.DIAG_STORE ?? 'memory';
/** Page faults of each exchange too (a system call per exchange: slower). */
const TRACE_EXCHANGES = process.env.DIAG_TRACE_EXCHANGES === '1';

interface CandleSample { startMs: number; endMs: number; stages: [string, number, number][]; faults: number; exchanges: number; exchangeMs: number; slowestExchange: string }
/** Exchanges with PGlite's backend (count, time inside them), when the store is PGlite. */
const exchanges = { count: 0, ms: 0, slowestMs: 0, slowest: '', slowestFaults: 0 };
/** Per prepared statement (its name in the exchange's Bind, or the exchange's first simple-protocol query): exchanges and time inside them over the measured candles. */
const byStatement = new Map<string, { count: number; ms: number }>();
/** Prepared statement name → its SQL, from the Parse messages seen. */
const statementTexts = new Map<string, string>();
let measuring = false;
/** The exchange's key for {@link byStatement}, and the SQL of any statement it prepares. */
function statementOf(message: Uint8Array): string {
  const text = Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString('latin1');
  const parse = /P[^]{4}(tradepipe_\d+)\0([^\0]*)\0/.exec(text);
  if (parse !== null) statementTexts.set(parse[1]!, parse[2]!);
  const bind = /B[^]{4}\0(tradepipe_\d+)\0/.exec(text);
  const query = /^Q[^]{4}([^\0]{0,60})/.exec(text);
  return [query?.[1], bind?.[1]].filter((part) => part !== undefined).join(' + ') || text.slice(0, 40).replace(/[^ -~]+/g, '.');
}
async function openStore(): Promise<{ store: PipelineStore; close(): Promise<void> }> {
  if (STORE !== 'pglite') {
    const memory = createMemoryStore();
    return { store: memory, close: () => memory.close() };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgliteStore } = await import('@tradepipe/storage-pg');
  const database = await PGlite.create();
  if (process.env.DIAG_PLAN_CACHE_MODE !== undefined) await database.exec(`SET plan_cache_mode = ${process.env.DIAG_PLAN_CACHE_MODE}`);
  const exchange = database.execProtocolRawSync.bind(database);
  database.execProtocolRawSync = (message) => {
    const faultsBefore = TRACE_EXCHANGES ? process.resourceUsage().minorPageFault : 0;
    const startedAtMs = performance.now();
    try {
      return exchange(message);
    } finally {
      const tookMs = performance.now() - startedAtMs;
      if (measuring || !TRACE_EXCHANGES) {
        const key = statementOf(message);
        const entry = byStatement.get(key) ?? { count: 0, ms: 0 };
        entry.count += 1;
        entry.ms += tookMs;
        byStatement.set(key, entry);
      }
      exchanges.count += 1;
      exchanges.ms += tookMs;
      if (tookMs > exchanges.slowestMs) {
        exchanges.slowestMs = tookMs;
        exchanges.slowest = Buffer.from(message.subarray(0, 160)).toString('latin1').replace(/[^ -~]+/g, '.');
        if (TRACE_EXCHANGES) exchanges.slowestFaults = process.resourceUsage().minorPageFault - faultsBefore;
      }
    }
  };
  const pgStore = await createPgliteStore({ database });
  return {
    store: pgStore,
    async close() {
      if (process.env.DIAG_PLANS === '1') {
        const { rows } = await database.query<{ name: string; generic_plans: number; custom_plans: number; statement: string }>(
          'SELECT name, generic_plans, custom_plans, statement FROM pg_prepared_statements ORDER BY custom_plans DESC',
        );
        for (const row of rows) console.log(`plans of ${row.name}: generic ${row.generic_plans}, custom ${row.custom_plans}: ${row.statement.replace(/\s+/g, ' ').slice(0, 100)}`);
      }
      await pgStore.close();
      await database.close();
    },
  };
}
const opened = await openStore();
const { store } = opened;
let current: CandleSample | undefined;
const timing = wrapEveryStage(async (call, next) => {
  const startedAtMs = performance.now();
  try {
    return await next();
  } finally {
    current?.stages.push([call.stage, startedAtMs, performance.now()]);
  }
});
const finished = new Map<number, () => void>();
const pipeline = await createLivePathPipeline(store, timing, (candleStartMs) => finished.get(candleStartMs)?.());
await pipeline.start();
const samples: CandleSample[] = [];
const [first, ...rest] = alternatingCandles(WARMUP + MEASURED + 1);
await store.putCandles([first!]);
for (const [index, candle] of rest.entries()) {
  const done = new Promise<void>((resolve) => finished.set(candle.startMs, resolve));
  const faultsBefore = process.resourceUsage().minorPageFault;
  const exchangesBefore = exchanges.count;
  const exchangeMsBefore = exchanges.ms;
  const sample: CandleSample = { startMs: performance.now(), endMs: 0, stages: [], faults: 0, exchanges: 0, exchangeMs: 0, slowestExchange: '' };
  exchanges.slowestMs = 0;
  current = sample;
  await store.putCandles([candle]);
  await done;
  sample.endMs = performance.now();
  sample.faults = process.resourceUsage().minorPageFault - faultsBefore;
  sample.exchanges = exchanges.count - exchangesBefore;
  sample.exchangeMs = exchanges.ms - exchangeMsBefore;
  sample.slowestExchange = `${exchanges.slowestMs.toFixed(2)} ms${TRACE_EXCHANGES ? ` ${exchanges.slowestFaults} faults` : ''} [${exchanges.slowest}]`;
  finished.delete(candle.startMs);
  if (index >= WARMUP) samples.push(sample);
  if (index + 1 === WARMUP) {
    measuring = true;
    byStatement.clear();
  }
}
await pipeline.stop({ drainTimeoutMs: 1_000 });
await opened.close();
await new Promise((resolve) => setTimeout(resolve, 50));
observer.disconnect();

const durations = samples.map((sample) => sample.endMs - sample.startMs).sort((a, b) => a - b);
const quantile = (fraction: number): number => durations[Math.min(durations.length - 1, Math.floor(fraction * durations.length))]!;
console.log(`candles ${samples.length}: p50 ${quantile(0.5).toFixed(3)} p90 ${quantile(0.9).toFixed(3)} p99 ${quantile(0.99).toFixed(3)} max ${quantile(1).toFixed(3)} ms`);
const firstMs = samples[0]!.startMs;
const lastMs = samples.at(-1)!.endMs;
const gcInWindow = gcSpans.filter((gc) => gc.startMs >= firstMs && gc.endMs <= lastMs);
const byKind = new Map<string, number[]>();
for (const gc of gcInWindow) byKind.set(gc.label, [...(byKind.get(gc.label) ?? []), gc.endMs - gc.startMs]);
for (const [kind, pauses] of byKind) console.log(`gc ${kind}: ${pauses.length} (per 1000 candles ${((pauses.length / samples.length) * 1000).toFixed(1)}), mean ${(pauses.reduce((a, b) => a + b, 0) / pauses.length).toFixed(2)} ms, max ${Math.max(...pauses).toFixed(2)}`);
const timersInWindow = timerSpans.filter((span) => span.startMs >= firstMs && span.endMs <= lastMs);
const byLabel = new Map<string, number[]>();
for (const span of timersInWindow) byLabel.set(span.label, [...(byLabel.get(span.label) ?? []), span.endMs - span.startMs]);
for (const [label, runs] of byLabel) console.log(`timer ${runs.length}x mean ${(runs.reduce((a, b) => a + b, 0) / runs.length).toFixed(3)} max ${Math.max(...runs).toFixed(3)} ms: ${label}`);

const threshold = quantile(0.99);
const slow = samples.filter((sample) => sample.endMs - sample.startMs >= threshold);
const overlaps = (spans: readonly Span[], sample: CandleSample): Span[] => spans.filter((span) => span.endMs > sample.startMs && span.startMs < sample.endMs);
let withGc = 0;
let withTimer = 0;
console.log(`\nslowest ${slow.length} candles (>= ${threshold.toFixed(3)} ms):`);
for (const sample of slow) {
  const gcs = overlaps(gcSpans, sample);
  const timers = overlaps(timerSpans, sample);
  if (gcs.length > 0) withGc += 1;
  if (timers.length > 0) withTimer += 1;
  const stageText = sample.stages.map(([stage, startMs, endMs]) => `${stage}@${(startMs - sample.startMs).toFixed(2)}+${(endMs - startMs).toFixed(2)}`).join(' ');
  const gcText = gcs.map((gc) => `${gc.label}@${(gc.startMs - sample.startMs).toFixed(2)}+${(gc.endMs - gc.startMs).toFixed(2)}`).join(' ');
  const timerText = timers.map((timer) => `[${timer.label.slice(0, 30)}]+${(timer.endMs - timer.startMs).toFixed(2)}`).join(' ');
  console.log(`${(sample.endMs - sample.startMs).toFixed(2)} ms @${((sample.startMs - firstMs) / 1000).toFixed(2)}s faults ${sample.faults} exchanges ${sample.exchanges} in ${sample.exchangeMs.toFixed(2)} ms | ${stageText} | gc: ${gcText} | timers: ${timerText}${STORE === 'pglite' ? `\n    slowest exchange ${sample.slowestExchange}` : ''}`);
}
const gcCandles = samples.filter((sample) => overlaps(gcSpans, sample).length > 0);
const gcCandleDurationsMs = gcCandles.map((sample) => sample.endMs - sample.startMs).sort((a, b) => a - b);
console.log(`\nslow candles with a GC: ${withGc}/${slow.length}; with a timer callback: ${withTimer}/${slow.length}`);
console.log(`candles overlapping any GC: ${gcCandles.length} (${((gcCandles.length / samples.length) * 100).toFixed(2)} %), their p50 ${gcCandleDurationsMs[Math.floor(gcCandleDurationsMs.length / 2)]?.toFixed(3)} ms`);
const clearOfGcMs = samples.filter((sample) => overlaps(gcSpans, sample).length === 0).map((sample) => sample.endMs - sample.startMs).sort((a, b) => a - b);
const byDuration = [...samples].sort((a, b) => a.endMs - a.startMs - (b.endMs - b.startMs));
const middle = byDuration.slice(Math.floor(byDuration.length * 0.4), Math.floor(byDuration.length * 0.6));
const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
console.log(`page faults per candle: median candles ${mean(middle.map((sample) => sample.faults)).toFixed(1)}, slowest 1 % ${mean(slow.map((sample) => sample.faults)).toFixed(1)}; candles with faults: ${samples.filter((sample) => sample.faults > 0).length}`);
console.log(`time inside exchanges per candle: median candles ${mean(middle.map((sample) => sample.exchangeMs)).toFixed(2)} ms (${mean(middle.map((sample) => sample.exchanges)).toFixed(1)} exchanges), slowest 1 % ${mean(slow.map((sample) => sample.exchangeMs)).toFixed(2)} ms (${mean(slow.map((sample) => sample.exchanges)).toFixed(1)})`);
if (STORE === 'pglite') {
  console.log('\nexchanges per measured candle, by statement (time inside PGlite):');
  for (const [key, entry] of [...byStatement].sort((a, b) => b[1].ms - a[1].ms)) {
    const name = /tradepipe_\d+/.exec(key)?.[0];
    console.log(`${(entry.count / samples.length).toFixed(2)}x ${((entry.ms / entry.count) * 1000).toFixed(0)} µs each, ${((entry.ms / samples.length) * 1000).toFixed(0)} µs / candle: ${key} ${name === undefined ? '' : (statementTexts.get(name) ?? '').replace(/\s+/g, ' ').slice(0, 260)}`);
  }
}
console.log(`without GC: p50 ${clearOfGcMs[Math.floor(clearOfGcMs.length * 0.5)]!.toFixed(3)} p99 ${clearOfGcMs[Math.floor(clearOfGcMs.length * 0.99)]!.toFixed(3)} ms`);
