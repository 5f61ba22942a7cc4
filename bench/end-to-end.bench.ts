/**
 * End-to-end replay benchmark (issue 12): synthetic 1-minute BTC-USD candles through the full pipeline (features,
 * a linear 1-minute model trained on OTHER synthetic data through trainSignalModel, the $100 bridge, the rule
 * validator, risk with exits, the paper executor), every figure beside its reference measured in the same run:
 * - bare loop: the feature engine over every candle + one predictBatch per 4,096 candles (the floor);
 * - batched replay on the memory store (full size 525,600 candles: target < 10 s and ≤ 3× the bare loop),
 *   with candles/s over the first 10k, around 100k and the last 10k (target: last ≥ 0.8× first);
 *   the ratio is fair: both run in this process, both warmed alike (a 20,000-candle run of each first), then
 *   alternately twice each (bare, replay, bare, replay), the faster run of each compared; wall and CPU ratios
 *   are both printed, each timed run starts after a full garbage collection and a quarter second for V8's
 *   background sweeping (no run pays for the one before),
 *   and the ≤ 3× verdict is on process CPU time (user + system, all threads), which a loaded
 *   machine disturbs far less than wall time (there the bare loop took 1.2 or 2.2 s from one process to the next);
 * - the candle-by-candle reference replay at a small size (the ratio);
 * - the batched replay on PGlite (target < 60 s at full size).
 * Targets are printed MET/MISSED, never failed. `BENCH_QUICK=1` runs small sizes (CI, < 1 minute);
 * `BENCH_MEMORY_ONLY=1` stops after the bare loop and the memory batched replay (profiling the memory path);
 * `BENCH_PGLITE_ONLY=1` runs only the PGlite replay (profiling the PGlite path).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createManualClock, createMemoryStore, replayCandles, replayCandlesBatched, type Candle, type ManualClock, type PipelineStore, type SignalModel } from '@tradepipe/core';
import { createFeatureSet } from '@tradepipe/features';
import { createPgliteStore } from '@tradepipe/storage-pg';
import { createMinutePipeline, syntheticMinuteCandles, trainMinuteModel } from '../examples/embedded/src/synthetic-minutes.js';

const quick = process.env.BENCH_QUICK === '1';
const FULL = Number(process.env.BENCH_CANDLES ?? (quick ? 20_000 : 525_600));
const REFERENCE = quick ? 300 : 3_000;
const PGLITE = Number(process.env.BENCH_PGLITE_CANDLES ?? (quick ? 3_000 : 525_600));
const MEMORY_ONLY = process.env.BENCH_MEMORY_ONLY === '1';
const PGLITE_ONLY = process.env.BENCH_PGLITE_ONLY === '1';
const HISTORY = 1_000;
const MINUTES_START_MS = Date.UTC(2025, 0, 1);

const rate = (candles: number, ms: number): string => `${Math.round(candles / (ms / 1000)).toLocaleString('en-US')} candles/s`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
/** Process CPU time (user + system, every thread: GC, onnxruntime) since `since`, in ms: steadier than wall time on a busy machine. */
const cpuMsSince = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};
/**
 * CPU time of the main thread so far, in ms (user + system from `/proc/self/task/<pid>/stat`, 10 ms ticks), or NaN where
 * there is no such file: the rest of a run's process CPU is V8's and onnxruntime's other threads (GC, compilation).
 */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}
/** `BENCH_PROFILE=<file>`: a CPU profile of the replays alone (the last one run is kept). */
const PROFILE = process.env.BENCH_PROFILE;

/**
 * `BENCH_PROFILE_HEAP=1` with `BENCH_PROFILE`: a sampling allocation profile instead (every object sampled, the ones
 * collected since included: what makes the collections), written as a `.heapprofile`; with `BENCH_PROFILE_HEAP_MINOR=0`
 * also, without the objects minor collections freed (what was promoted or is still alive).
 */
const PROFILE_HEAP = process.env.BENCH_PROFILE_HEAP === '1';

async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  if (PROFILE_HEAP) {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.BENCH_PROFILE_HEAP_MINOR !== '0' } as never);
    return {
      async stop(file) {
        const { profile } = await session.post('HeapProfiler.stopSampling');
        writeFileSync(file, JSON.stringify(profile));
        session.disconnect();
      },
    };
  }
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
const verdict = (met: boolean): string => (met ? 'MET' : 'MISSED');
/** Minor page faults of the process so far: first-touched memory (its CPU cost depends on the machine: ≈ 11 µs each on one VM measured, ≈ 1.7 µs on another). */
const minorFaults = (): number => process.resourceUsage().minorPageFault;
/** A run's CPU (the main thread's in it) and minor page faults, as printed beside each timed run. */
const cpuAndFaults = (run: { readonly cpuMs: number; readonly mainCpuMs: number; readonly faults: number }): string =>
  `CPU ${seconds(run.cpuMs)}${Number.isNaN(run.mainCpuMs) ? '' : `, main thread ${seconds(run.mainCpuMs)}`}, ${Math.round(run.faults / 1000)}k faults`;

// A full collection before each timed run, so that no run pays for the previous one's garbage (a replay leaves a
// store of 400+ MB behind; collected during the next bare loop, it made that loop's CPU jump from 1.1 to 1.7 s).
v8.setFlagsFromString('--expose-gc');
const fullGc = vm.runInNewContext('gc') as () => void;
/** A full collection, then a quarter second for V8's background threads to finish sweeping what it freed. */
async function collectGarbage(): Promise<void> {
  fullGc();
  await new Promise((resolve) => setTimeout(resolve, 250));
}

/** Features through the streaming engine for every candle, one predictBatch per 4,096: what any replay must at least do. */
async function bareLoop(model: SignalModel, history: readonly Candle[], candles: readonly Candle[]): Promise<{ elapsedMs: number; cpuMs: number; mainCpuMs: number; faults: number }> {
  const engine = createFeatureSet().createExtractor({ productId: 'BTC-USD', granularity: 'ONE_MINUTE' });
  for (const candle of history) engine.update(candle);
  await collectGarbage();
  const started = performance.now();
  const faultsBefore = minorFaults();
  const mainBefore = mainThreadCpuMs();
  const cpu = process.cpuUsage();
  for (let start = 0; start < candles.length; start += 4_096) {
    const vectors = [];
    for (const candle of candles.slice(start, start + 4_096)) {
      const vector = engine.update(candle);
      if (vector !== undefined) vectors.push(vector);
    }
    await model.predictBatch(vectors);
  }
  return { elapsedMs: performance.now() - started, cpuMs: cpuMsSince(cpu), mainCpuMs: mainThreadCpuMs() - mainBefore, faults: minorFaults() - faultsBefore };
}

interface ReplayRun {
  readonly elapsedMs: number;
  readonly cpuMs: number;
  /** The main thread's CPU during the run (NaN where unknown). */
  readonly mainCpuMs: number;
  /** Minor page faults during the run. */
  readonly faults: number;
  readonly marks: readonly { readonly candles: number; readonly atMs: number }[];
  readonly recommendations: number;
  readonly orders: number;
  readonly executed: number;
  readonly fullPathCandles: number;
}

async function replay(mode: 'batched' | 'reference', open: (clock: ManualClock) => Promise<PipelineStore>, model: SignalModel, history: readonly Candle[], candles: readonly Candle[]): Promise<ReplayRun> {
  const clock = createManualClock(candles[0]!.startMs);
  const store = await open(clock);
  await store.putCandles(history, { state: 'DONE' });
  const pipeline = await createMinutePipeline({ store, clock, model, approvalSecret: 'bench-secret-0123456789abcdef-0123456789' });
  const marks: { candles: number; atMs: number }[] = [];
  const profiler = PROFILE === undefined ? undefined : await startProfile();
  await collectGarbage();
  const started = performance.now();
  const faultsBefore = minorFaults();
  const mainBefore = mainThreadCpuMs();
  const cpu = process.cpuUsage();
  let fullPathCandles = candles.length;
  if (mode === 'batched') {
    const result = await replayCandlesBatched({ pipeline, store, clock, candles, onChunk: ({ candlesDone }) => void marks.push({ candles: candlesDone, atMs: performance.now() - started }) });
    fullPathCandles = result.fullPathCandles;
  } else {
    await replayCandles({ pipeline, store, clock, candles });
  }
  const elapsedMs = performance.now() - started;
  const cpuMs = cpuMsSince(cpu);
  const mainCpuMs = mainThreadCpuMs() - mainBefore;
  const faults = minorFaults() - faultsBefore;
  await profiler?.stop(PROFILE!);
  const orders = await store.listOrders({});
  const recommendations = Object.values(await store.countByState('recommendation')).reduce((sum: number, count) => sum + (count ?? 0), 0);
  await store.close();
  return { elapsedMs, cpuMs, mainCpuMs, faults, marks, recommendations, orders: orders.length, executed: orders.filter((order) => order.status === 'EXECUTED').length, fullPathCandles };
}

/** Candles/s over the chunks between two candle counts (nearest chunk marks). */
function windowRate(run: ReplayRun, fromCandles: number, toCandles: number): { candles: number; ms: number } {
  const before = [...run.marks].reverse().find((mark) => mark.candles <= fromCandles) ?? { candles: 0, atMs: 0 };
  const after = run.marks.find((mark) => mark.candles >= toCandles) ?? run.marks.at(-1)!;
  return { candles: after.candles - before.candles, ms: after.atMs - before.atMs };
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const print = (line: string): void => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  print(`end-to-end replay benchmark${quick ? ' (quick)' : ''} — ${new Date().toISOString()}, load ${os.loadavg().map((value) => value.toFixed(1)).join(' ')}, ${os.cpus().length} cores`);
  let started = performance.now();
  const model = await trainMinuteModel({ trainingCandles: 30_000 });
  print(`  model           linear, trained through trainSignalModel on 30000 other synthetic minutes in ${seconds(performance.now() - started)}`);
  // Enough candles for both sizes: with BENCH_PGLITE_CANDLES above BENCH_CANDLES the PGlite replay took only
  // BENCH_CANDLES of them while its line named (and its rate counted) BENCH_PGLITE_CANDLES.
  const all = syntheticMinuteCandles({ count: HISTORY + Math.max(FULL, PGLITE), seed: 2025, startMs: MINUTES_START_MS });
  const history = all.slice(0, HISTORY);
  const pgliteCandles = all.slice(HISTORY, HISTORY + PGLITE);
  const candles = all.slice(HISTORY, HISTORY + FULL);

  const memory = async (clock: ManualClock): Promise<PipelineStore> => createMemoryStore({ clock });
  if (PGLITE_ONLY) {
    started = performance.now();
    const pgliteOnly = await replay('batched', (clock) => createPgliteStore({ clock }), model, history, pgliteCandles);
    print(`  PGlite batched  ${PGLITE.toLocaleString('en-US')} candles in ${seconds(pgliteOnly.elapsedMs)} (${rate(PGLITE, pgliteOnly.elapsedMs)}; ${cpuAndFaults(pgliteOnly)}; store opened in ${seconds(performance.now() - started - pgliteOnly.elapsedMs)})${PGLITE >= 525_600 ? `; 525,600 < 60 s: ${verdict(pgliteOnly.elapsedMs < 60_000)}` : ''}`);
    return;
  }
  // Both warmed alike, then alternately twice each, the faster run of each compared (see the doc comment).
  const warmUp = candles.slice(0, Math.min(candles.length, 20_000));
  await bareLoop(model, history, warmUp);
  await replay('batched', memory, model, history, warmUp);
  const bareRuns: { elapsedMs: number; cpuMs: number; mainCpuMs: number; faults: number }[] = [];
  const batchedRuns: ReplayRun[] = [];
  for (let round = 0; round < 2; round += 1) {
    bareRuns.push(await bareLoop(model, history, candles));
    batchedRuns.push(await replay('batched', memory, model, history, candles));
  }
  const fastest = <T extends { readonly elapsedMs: number; readonly cpuMs: number }>(runs: readonly T[], by: 'elapsedMs' | 'cpuMs'): T => runs.reduce((best, run) => (run[by] < best[by] ? run : best));
  const bare = fastest(bareRuns, 'elapsedMs');
  const bareMs = bare.elapsedMs;
  const bareCpuMs = fastest(bareRuns, 'cpuMs').cpuMs;
  print(`  bare loop       ${FULL.toLocaleString('en-US')} candles: features + predictBatch ${seconds(bareMs)} (${rate(FULL, bareMs)}); CPU ${seconds(bareCpuMs)}; runs ${bareRuns.map((run) => `${seconds(run.elapsedMs)} (${cpuAndFaults(run)})`).join(', ')}`);

  const batched = fastest(batchedRuns, 'elapsedMs');
  const batchedCpuMs = fastest(batchedRuns, 'cpuMs').cpuMs;
  print(`  memory batched  ${FULL.toLocaleString('en-US')} candles in ${seconds(batched.elapsedMs)} (${rate(FULL, batched.elapsedMs)}); ${batched.recommendations} recommendations, ${batched.orders} orders (${batched.executed} executed), ${batched.fullPathCandles} candles through the stages; runs ${batchedRuns.map((run) => `${seconds(run.elapsedMs)} (${cpuAndFaults(run)})`).join(', ')}`);
  const overBare = batched.elapsedMs / bareMs;
  const overBareCpu = batchedCpuMs / bareCpuMs;
  print(`    vs bare loop  CPU ${overBareCpu.toFixed(2)}× (${seconds(batchedCpuMs)} against ${seconds(bareCpuMs)}; target ≤ 3×: ${verdict(overBareCpu <= 3)}); wall ${overBare.toFixed(2)}×`);
  if (FULL >= 525_600) print(`    525,600 < 10 s: ${verdict(batched.elapsedMs < 10_000)}`);
  const first = windowRate(batched, 0, 10_000);
  const middle = windowRate(batched, 90_000, 100_000);
  const last = windowRate(batched, FULL - 10_000, FULL);
  const firstRate = first.candles / first.ms;
  print(`    candles/s     first 10k ${rate(first.candles, first.ms)}; around 100k ${middle.candles > 0 ? rate(middle.candles, middle.ms) : 'n/a'}; last 10k (to ${FULL.toLocaleString('en-US')}) ${rate(last.candles, last.ms)}`);
  print(`    flat in history: last / first = ${(last.candles / last.ms / firstRate).toFixed(2)} (target ≥ 0.8: ${verdict(last.candles / last.ms >= 0.8 * firstRate)})`);

  if (MEMORY_ONLY) return;
  const reference = await replay('reference', memory, model, history, candles.slice(0, REFERENCE));
  const smallBatched = await replay('batched', memory, model, history, candles.slice(0, REFERENCE));
  print(`  candle by candle ${REFERENCE.toLocaleString('en-US')} candles (memory) in ${seconds(reference.elapsedMs)} (${rate(REFERENCE, reference.elapsedMs)}); batched on the same ${seconds(smallBatched.elapsedMs)}: ${(reference.elapsedMs / smallBatched.elapsedMs).toFixed(1)}× faster; full-size batched rate / reference rate ${((FULL / batched.elapsedMs) / (REFERENCE / reference.elapsedMs)).toFixed(0)}×`);

  started = performance.now();
  const pglite = await replay('batched', (clock) => createPgliteStore({ clock }), model, history, pgliteCandles);
  print(`  PGlite batched  ${PGLITE.toLocaleString('en-US')} candles in ${seconds(pglite.elapsedMs)} (${rate(PGLITE, pglite.elapsedMs)}; ${cpuAndFaults(pglite)}; store opened in ${seconds(performance.now() - started - pglite.elapsedMs)}); ${(pglite.elapsedMs / (batched.elapsedMs * (PGLITE / FULL))).toFixed(1)}× the memory store's time per candle${PGLITE >= 525_600 ? `; 525,600 < 60 s: ${verdict(pglite.elapsedMs < 60_000)}` : ""}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`end-to-end benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
