/**
 * Live path overhead per candle: a started pipeline (`start()`, real clock, one candle at a time), from
 * `putCandles` to the candle's recommendation finishing EXECUTED, through every stage — signal, bridge, a 0 ms
 * validator, risk (signed approval, reservation), an executor that fills at once, and the fills hand-off.
 * Every candle trades (closes alternate ±2 %: BUY, SELL, BUY, …), so every candle takes the whole path.
 *
 * Printed per store: p50 and p99 of the whole path beside the targets (memory p99 < 2 ms, PGlite p99 < 10 ms);
 * the part spent inside the stages' `run` (timed by a plugin wrapping every stage: the stage's own logic and
 * the store calls it makes itself, e.g. `recordRiskDecision`, `recordFill`), and the rest — the runner and the
 * wake-ups (claims, loads, completions, notifications); store calls (and PGlite round trips) per candle.
 * Also the bytes allocated per candle (all of the process's allocation over the measured candles, from V8's
 * GC statistics: the young-generation collections this causes are what sets the p99) and the scavenges per
 * 1,000 candles with their mean pause and the bytes each promoted to the old generation (what a scavenge copies:
 * most of its pause), and the process CPU time per candle.
 * References measured in the same run: a fixed JavaScript task timed after every `BENCH_REFERENCE_EVERY`-th
 * candle (10 by default; its p99 / p50 shows what the machine's load and the GC do to any task over the same
 * minutes; it allocates ≈ 110 kB a run, so after every candle it would add two thirds to the pipeline's own
 * allocation and its scavenges to the path's p99), on PGlite one trivial statement (`ping`, one round trip),
 * and the load average before and after. Then how many measured candles a GC pause overlapped (PerformanceObserver
 * 'gc' entries against each candle's start and end) and the path's p50 / p99 without them, and the warm-up
 * candles' own p50 / p99 / max (V8 still optimising the path).
 * Run: npm run bench -w @tradepipe/core   (BENCH_QUICK=1 for a short run; BENCH_STORES=memory for one store)
 */
import { loadavg } from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { createMemoryStore, wrapEveryStage, type PipelineStore } from '../src/index.js';
import { alternatingCandles, createLivePathPipeline } from './live-path.js';

const QUICK = process.env.BENCH_QUICK === '1';
// V8 is still optimising the path over its first ~2,000 candles: in those, stalls of 2-11 ms inside a stage with
// no GC under way (none with `--no-opt`, none after). A live pipeline runs for weeks, so the figures are the
// steady state after them; the warm-up's own p99 and max are printed beside (bench/live-latency-diagnose.ts).
const WARMUP_CANDLES = QUICK ? 500 : 2_000;
const MEASURED_CANDLES = { memory: QUICK ? 300 : 3_000, pglite: QUICK ? 150 : 1_000 } as const;
const STORES = (process.env.BENCH_STORES ?? 'memory,pglite').split(',');
const REFERENCE_EVERY = Number(process.env.BENCH_REFERENCE_EVERY ?? 10);

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

/** p50 / p99 of a sample, as `p50 / p99`. */
function quantiles(values: readonly number[]): string {
  return `${percentile(values, 0.5).toFixed(2)} / ${percentile(values, 0.99).toFixed(2)}`;
}

/**
 * A store that counts the calls made through it (every method but `waitForWork`). One counting function per
 * method, made once: the count itself allocates nothing per call (a closure and an argument array per call
 * were ≈ 4 kB per candle of the bench's own, counted as the pipeline's).
 */
function countingStore(inner: PipelineStore): { store: PipelineStore; calls: () => number } {
  let calls = 0;
  const counting = new Map<PropertyKey, unknown>();
  const store = new Proxy(inner, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || key === 'waitForWork') return value;
      let counted = counting.get(key);
      if (counted === undefined) {
        const method = value as (...inner: unknown[]) => unknown;
        counted = function (this: unknown) {
          calls += 1;
          return method.apply(target, arguments as unknown as unknown[]); // `arguments` passed straight on: not materialised
        };
        counting.set(key, counted);
      }
      return counted;
    },
  });
  return { store, calls: () => calls };
}

// A fixed piece of JavaScript work (a JSON round trip of 300 small records, allocating as the pipeline does),
// timed once after every candle: its p99 / p50 shows what the machine's load and the GC do to any such task
// over the same minutes, beside the pipeline's own p99 / p50.
const FIXED_TASK_RECORDS = Array.from({ length: 300 }, (_, index) => ({ id: `record-${index}`, priceUsd: 100 + index, sizes: [index, index * 2, index * 3], note: 'n'.repeat(24) }));

/** Runs the fixed task once; returns its duration, ms. */
function fixedTaskMs(): number {
  const startedAtMs = performance.now();
  const copy = JSON.parse(JSON.stringify(FIXED_TASK_RECORDS)) as unknown[];
  if (copy.length !== FIXED_TASK_RECORDS.length) throw new Error('fixed task broke');
  return performance.now() - startedAtMs;
}

/** Bytes allocated and young-generation collections over a stretch of the process, from V8's GC statistics. */
function allocationMeter(): () => { allocatedBytes: number; scavenges: number; scavengePauseMs: number; promotedBytes: number } {
  const profiler = new GCProfiler();
  profiler.start();
  const usedBefore = getHeapStatistics().used_heap_size;
  const oldSpaceUsed = (spaces: readonly { spaceName: string; spaceUsedSize: number }[]): number => spaces.find((space) => space.spaceName === 'old_space')?.spaceUsedSize ?? 0;
  return () => {
    const usedAfter = getHeapStatistics().used_heap_size;
    let freedBytes = 0;
    let scavenges = 0;
    let scavengePauseMs = 0;
    let promotedBytes = 0;
    for (const gc of profiler.stop()?.statistics ?? []) {
      freedBytes += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
      if (gc.gcType === 'Scavenge') {
        scavenges += 1;
        scavengePauseMs += gc.cost / 1000;
        // What survived the scavenge into the old generation: its copying is most of the pause.
        promotedBytes += oldSpaceUsed(gc.afterGC.heapSpaceStatistics) - oldSpaceUsed(gc.beforeGC.heapSpaceStatistics);
      }
    }
    return { allocatedBytes: usedAfter - usedBefore + freedBytes, scavenges, scavengePauseMs, promotedBytes };
  };
}

/** Records the process's GC pauses (start and end, `performance.now()` ms) while running. */
function gcPauses(): { stop(): Promise<{ readonly startMs: number; readonly endMs: number }[]> } {
  const pauses: { startMs: number; endMs: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push({ startMs: entry.startTime, endMs: entry.startTime + entry.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    async stop() {
      // The candle loop runs in microtasks: the entries are delivered once the loop gives the event loop a turn.
      await new Promise((resolve) => setTimeout(resolve, 20));
      observer.disconnect();
      return pauses;
    },
  };
}

interface Measured {
  /** put → finished, per candle, ms. */
  readonly latenciesMs: number[];
  /** Whether a GC pause overlapped the candle, per candle. */
  readonly hitByGc: boolean[];
  /** put → finished over the warm-up candles, ms. */
  readonly warmupLatenciesMs: number[];
  /** Time inside the stages' `run`, per candle, ms. */
  readonly stageRunMs: number[];
  /** The fixed task, timed after each candle, ms. */
  readonly fixedTaskMs: number[];
  readonly storeCallsPerCandle: number;
  /** PGlite round trips per measured candle (undefined without a counter). */
  readonly roundTripsPerCandle: number | undefined;
  /** Bytes allocated by the process per measured candle (reference task included). */
  readonly allocatedBytesPerCandle: number;
  /** Young-generation collections over the measured candles, and their mean pause, ms. */
  readonly scavenges: number;
  readonly meanScavengeMs: number;
  /** Bytes moved to the old generation per scavenge (mean). */
  readonly promotedBytesPerScavenge: number;
  /** Process CPU time (user + system) per measured candle, ms. */
  readonly cpuMsPerCandle: number;
}

/** Feeds candles one at a time to a started pipeline; times each candle's put → finished and its stages' `run`. */
async function measure(inner: PipelineStore, measuredCandles: number, roundTrips?: () => number): Promise<Measured> {
  const { store, calls } = countingStore(inner);
  let runMs = 0;
  const timing = wrapEveryStage(async (_call, next) => {
    const startedAtMs = performance.now();
    try {
      return await next();
    } finally {
      runMs += performance.now() - startedAtMs;
    }
  });
  const finished = new Map<number, () => void>();
  const pipeline = await createLivePathPipeline(store, timing, (candleStartMs) => finished.get(candleStartMs)?.());
  await pipeline.start();
  const latenciesMs: number[] = [];
  const startsMs: number[] = [];
  const warmupLatenciesMs: number[] = [];
  const stageRunMs: number[] = [];
  const pauses = gcPauses();
  const fixedTaskSamplesMs: number[] = [];
  let callsMeasured = 0;
  let roundTripsMeasured = 0;
  let stopMeter: ReturnType<typeof allocationMeter> | undefined;
  let cpuBefore: NodeJS.CpuUsage | undefined;
  let metered: ReturnType<ReturnType<typeof allocationMeter>> | undefined;
  let cpu: NodeJS.CpuUsage | undefined;
  try {
    const [first, ...rest] = alternatingCandles(WARMUP_CANDLES + measuredCandles + 1);
    await store.putCandles([first!]); // the engine's first candle makes no signal
    for (const [index, candle] of rest.entries()) {
      if (index === WARMUP_CANDLES) {
        stopMeter = allocationMeter();
        cpuBefore = process.cpuUsage();
      }
      const done = new Promise<void>((resolve) => finished.set(candle.startMs, resolve));
      runMs = 0;
      const callsBefore = calls();
      const roundTripsBefore = roundTrips?.() ?? 0;
      const startedAtMs = performance.now();
      await store.putCandles([candle]);
      await done;
      const latencyMs = performance.now() - startedAtMs;
      finished.delete(candle.startMs);
      const taskMs = index % REFERENCE_EVERY === 0 ? fixedTaskMs() : undefined;
      if (index < WARMUP_CANDLES) {
        warmupLatenciesMs.push(latencyMs);
        continue;
      }
      if (taskMs !== undefined) fixedTaskSamplesMs.push(taskMs);
      latenciesMs.push(latencyMs);
      startsMs.push(startedAtMs);
      stageRunMs.push(runMs);
      callsMeasured += calls() - callsBefore;
      roundTripsMeasured += (roundTrips?.() ?? 0) - roundTripsBefore;
    }
    metered = stopMeter?.();
    cpu = process.cpuUsage(cpuBefore);
  } finally {
    await pipeline.stop({ drainTimeoutMs: 1_000 });
  }
  const gcs = await pauses.stop();
  const hitByGc = startsMs.map((startMs, index) => gcs.some((gc) => gc.endMs > startMs && gc.startMs < startMs + latenciesMs[index]!));
  const count = latenciesMs.length;
  return {
    latenciesMs,
    hitByGc,
    warmupLatenciesMs,
    stageRunMs,
    fixedTaskMs: fixedTaskSamplesMs,
    storeCallsPerCandle: callsMeasured / count,
    roundTripsPerCandle: roundTrips === undefined ? undefined : roundTripsMeasured / count,
    allocatedBytesPerCandle: (metered?.allocatedBytes ?? Number.NaN) / count,
    scavenges: metered?.scavenges ?? 0,
    meanScavengeMs: (metered?.scavengePauseMs ?? 0) / Math.max(1, metered?.scavenges ?? 0),
    promotedBytesPerScavenge: (metered?.promotedBytes ?? 0) / Math.max(1, metered?.scavenges ?? 0),
    cpuMsPerCandle: cpu === undefined ? Number.NaN : (cpu.user + cpu.system) / 1000 / count,
  };
}

/** A PGlite store on an instance whose exchanges with the WebAssembly backend (round trips) are counted. */
interface OpenedStore {
  readonly store: PipelineStore;
  /** Round trips so far (PGlite only). */
  readonly roundTrips?: () => number;
  close(): Promise<void>;
}

async function pgliteStore(): Promise<OpenedStore | undefined> {
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const { createPgliteStore } = await import('@tradepipe/storage-pg');
    const database = await PGlite.create();
    let roundTrips = 0;
    // Every exchange with the backend (the store's raw ones and PGlite's own parsed ones) goes through it.
    const exchange = database.execProtocolRawSync.bind(database);
    database.execProtocolRawSync = (message) => {
      roundTrips += 1;
      return exchange(message);
    };
    const store = await createPgliteStore({ database });
    return {
      store,
      roundTrips: () => roundTrips,
      async close() {
        await store.close(); // a store given its instance leaves it open
        await database.close();
      },
    };
  } catch (error) {
    process.stdout.write(`PGlite store unavailable (${error instanceof Error ? error.message : String(error)}); skipped\n`);
    return undefined;
  }
}

/** Bytes one run of the fixed task allocates (measured once, before the stores). */
const fixedTaskBytes = (() => {
  for (let run = 0; run < 50; run += 1) fixedTaskMs();
  const stop = allocationMeter();
  for (let run = 0; run < 200; run += 1) fixedTaskMs();
  return stop().allocatedBytes / 200;
})();
const loadBefore = loadavg();
const rows: string[] = [];
const gcRows: string[] = [];
const references: string[] = [];
for (const name of ['memory', 'pglite'] as const) {
  if (!STORES.includes(name)) continue;
  const memory = createMemoryStore();
  const opened: OpenedStore | undefined = name === 'memory' ? { store: memory, close: () => memory.close() } : await pgliteStore();
  if (opened === undefined) continue;
  const { store } = opened;
  const targetP99Ms = name === 'memory' ? 2 : 10;
  try {
    const measured = await measure(store, MEASURED_CANDLES[name], opened.roundTrips);
    const { roundTripsPerCandle } = measured;
    const overheadMs = measured.latenciesMs.map((latencyMs, index) => latencyMs - measured.stageRunMs[index]!);
    const p99 = percentile(measured.latenciesMs, 0.99);
    rows.push(
      `| ${name} | ${measured.latenciesMs.length} | ${quantiles(measured.latenciesMs)} | < ${targetP99Ms} | ${(p99 / targetP99Ms).toFixed(2)} | ${quantiles(measured.stageRunMs)} | ${quantiles(overheadMs)} | ${measured.storeCallsPerCandle.toFixed(1)} | ${roundTripsPerCandle?.toFixed(1) ?? '–'} | ${(measured.allocatedBytesPerCandle / 1024).toFixed(0)} | ${((measured.scavenges / measured.latenciesMs.length) * 1000).toFixed(1)} (${measured.meanScavengeMs.toFixed(2)} ms, ${(measured.promotedBytesPerScavenge / 1024).toFixed(0)} kB promoted) | ${measured.cpuMsPerCandle.toFixed(2)} |`,
    );
    const clearOfGc = measured.latenciesMs.filter((_, index) => !measured.hitByGc[index]);
    const hitCount = measured.latenciesMs.length - clearOfGc.length;
    gcRows.push(
      `| ${name} | ${hitCount} (${((hitCount / measured.latenciesMs.length) * 100).toFixed(2)} %) | ${quantiles(clearOfGc)} | ${measured.warmupLatenciesMs.length} | ${quantiles(measured.warmupLatenciesMs)} / ${percentile(measured.warmupLatenciesMs, 1).toFixed(2)} |`,
    );
    const pathRatio = percentile(measured.latenciesMs, 0.99) / percentile(measured.latenciesMs, 0.5);
    const taskRatio = percentile(measured.fixedTaskMs, 0.99) / percentile(measured.fixedTaskMs, 0.5);
    references.push(
      `| fixed JS task (JSON round trip of 300 records, ≈ ${(fixedTaskBytes / 1024).toFixed(0)} kB allocated), after every ${REFERENCE_EVERY === 1 ? '' : `${REFERENCE_EVERY}th `}${name} candle | ${measured.fixedTaskMs.length} | ${quantiles(measured.fixedTaskMs)} | ${taskRatio.toFixed(1)} (path: ${pathRatio.toFixed(1)}) |`,
    );
    if (name === 'pglite') {
      const pingsMs: number[] = [];
      for (let index = 0; index < 500; index += 1) {
        const startedAtMs = performance.now();
        await store.ping();
        pingsMs.push(performance.now() - startedAtMs);
      }
      const pingRatio = percentile(pingsMs, 0.99) / percentile(pingsMs, 0.5);
      references.push(`| one PGlite round trip (ping: SELECT 1), after the run | ${pingsMs.length} | ${quantiles(pingsMs)} | ${pingRatio.toFixed(1)} |`);
    }
  } finally {
    await opened.close();
  }
}
const loadAfter = loadavg();
process.stdout.write(
  [
    `live path, one candle at a time, 0 ms validator, whole path to EXECUTED (${QUICK ? 'quick' : 'full'} run); ` +
      `load average ${loadBefore.map((load) => load.toFixed(2)).join(' ')} before, ${loadAfter.map((load) => load.toFixed(2)).join(' ')} after`,
    '| store | candles | path p50 / p99 ms | target p99 ms | p99 / target | in stage `run` p50 / p99 ms | runner + wake-ups p50 / p99 ms | store calls / candle | round trips / candle | allocated kB / candle | scavenges / 1,000 candles (mean pause, mean promoted) | CPU ms / candle |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'GC pauses and warm-up: the measured candles a GC pause overlapped (PerformanceObserver), the path without them; the warm-up candles (V8 still optimising)',
    '| store | candles hit by a GC pause | path p50 / p99 ms of the others | warm-up candles | warm-up path p50 / p99 / max ms |',
    '|---|---|---|---|---|',
    ...gcRows,
    '',
    'references, same run',
    '| reference | samples | p50 / p99 ms | p99 / p50 |',
    '|---|---|---|---|',
    ...references,
  ].join('\n') + '\n',
);
