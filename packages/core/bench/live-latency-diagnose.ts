/**
 * Diagnoses the live path's slow candles: times every candle (start, duration, each stage's `run`), records the
 * GC events (PerformanceObserver 'gc') and every timer callback of the process (setTimeout / setInterval, by
 * their source), then prints, for the slowest 1 % of candles, what overlapped them. Not part of `npm run bench`.
 * Run: node --import tsx --conditions=@tradepipe/source bench/live-latency-diagnose.ts   (DIAG_CANDLES, DIAG_WARMUP;
 * prefix `chrt -f 10` to take most preemption by other processes out)
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
const { alternatingCandles, createLivePathPipeline } = await import('./live-path.js');

const WARMUP = Number(process.env.DIAG_WARMUP ?? 200);
const MEASURED = Number(process.env.DIAG_CANDLES ?? 5_000);

interface CandleSample { startMs: number; endMs: number; stages: [string, number, number][] }
const store = createMemoryStore();
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
  const sample: CandleSample = { startMs: performance.now(), endMs: 0, stages: [] };
  current = sample;
  await store.putCandles([candle]);
  await done;
  sample.endMs = performance.now();
  finished.delete(candle.startMs);
  if (index >= WARMUP) samples.push(sample);
}
await pipeline.stop({ drainTimeoutMs: 1_000 });
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
  console.log(`${(sample.endMs - sample.startMs).toFixed(2)} ms @${((sample.startMs - firstMs) / 1000).toFixed(2)}s | ${stageText} | gc: ${gcText} | timers: ${timerText}`);
}
const gcCandles = samples.filter((sample) => overlaps(gcSpans, sample).length > 0);
const gcCandleDurationsMs = gcCandles.map((sample) => sample.endMs - sample.startMs).sort((a, b) => a - b);
console.log(`\nslow candles with a GC: ${withGc}/${slow.length}; with a timer callback: ${withTimer}/${slow.length}`);
console.log(`candles overlapping any GC: ${gcCandles.length} (${((gcCandles.length / samples.length) * 100).toFixed(2)} %), their p50 ${gcCandleDurationsMs[Math.floor(gcCandleDurationsMs.length / 2)]?.toFixed(3)} ms`);
const clearOfGcMs = samples.filter((sample) => overlaps(gcSpans, sample).length === 0).map((sample) => sample.endMs - sample.startMs).sort((a, b) => a - b);
console.log(`without GC: p50 ${clearOfGcMs[Math.floor(clearOfGcMs.length * 0.5)]!.toFixed(3)} p99 ${clearOfGcMs[Math.floor(clearOfGcMs.length * 0.99)]!.toFixed(3)} ms`);
