/**
 * `writeBulk` alone on a PGlite store as the batched replay opens it (its own in-memory instance): 1-minute
 * candles with one signal each (51 full-precision feature values, as the feature set makes), written in calls of
 * `BENCH_BULK_CHUNK` candles (default 4,096, the replay's chunk; 0 = everything in one call), `BENCH_BULK_CANDLES`
 * in all (default 100,000). Prints wall and process CPU time (user + system, every thread), rows per second and
 * the peak resident memory. `BENCH_BULK_PROFILE=<file>` writes a CPU profile of the writes alone.
 * `BENCH_BULK_INSTANCE=caller` opens the store on an in-memory instance made here and passed in, as a caller would
 * (its tables stay logged), instead of the store's own.
 * Run: npx tsx --conditions=@tradepipe/source packages/storage-pg/bench/write-bulk.bench.ts
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import { PGlite } from '@electric-sql/pglite';
import { createManualClock, type Candle, type Signal } from '@tradepipe/core';
import { testSignal } from '@tradepipe/core/testing';
import { createPgliteStore } from '../src/index.js';
import { minuteCandles } from './bench-support.js';

const CANDLES = Number(process.env.BENCH_BULK_CANDLES ?? 100_000);
const CHUNK = Number(process.env.BENCH_BULK_CHUNK ?? 4_096);
const PROFILE = process.env.BENCH_BULK_PROFILE;
const FEATURES = 51;

/** One signal per candle, its feature values full-precision doubles (the JSON of each is ~18 digits, as real features). */
function bulkSignals(candles: readonly Candle[]): { record: Signal; state: 'DONE' }[] {
  return candles.map((candle, index) => {
    const signal = testSignal({ candleStartMs: candle.startMs, granularity: 'ONE_MINUTE', pipelineId: 'bench' });
    const values = Array.from({ length: FEATURES }, (_, feature) => Math.sin(index * FEATURES + feature) * (feature + 1));
    return { record: { ...signal, features: { ...signal.features, values } }, state: 'DONE' };
  });
}

const candles = minuteCandles(CANDLES);
const signals = bulkSignals(candles);
const INSTANCE = process.env.BENCH_BULK_INSTANCE ?? 'own';
const clock = createManualClock(candles.at(-1)!.startMs + 3_600_000);
const callersDatabase = INSTANCE === 'caller' ? await PGlite.create() : undefined;
const store = await createPgliteStore(callersDatabase === undefined ? { clock } : { clock, database: callersDatabase });
const session = PROFILE === undefined ? undefined : new Session();
if (session !== undefined) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
let peakRssBytes = process.memoryUsage.rss();
const size = CHUNK > 0 ? CHUNK : CANDLES;
const startedAt = performance.now();
const cpu = process.cpuUsage();
for (let start = 0; start < CANDLES; start += size) {
  await store.writeBulk({ candles: candles.slice(start, start + size), candleState: 'DONE', signals: signals.slice(start, start + size) });
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
}
const used = process.cpuUsage(cpu);
const seconds = (performance.now() - startedAt) / 1000;
if (session !== undefined) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(PROFILE!, JSON.stringify(profile));
  session.disconnect();
}
const counts = await store.countByState('signal');
await store.close();
await callersDatabase?.close();
if (counts.DONE !== CANDLES) throw new Error(`writeBulk stored ${counts.DONE ?? 0} of ${CANDLES} signals`);
const cpuSeconds = (used.user + used.system) / 1e6;
console.log(
  `writeBulk ${CANDLES.toLocaleString('en-US')} candles + signals, ${INSTANCE === 'caller' ? "a caller's instance" : 'own instance'}, ${CHUNK > 0 ? `calls of ${CHUNK.toLocaleString('en-US')}` : 'one call'}: ` +
    `${seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU (${((cpuSeconds / CANDLES) * 1e6).toFixed(0)} µs CPU per candle + signal), ` +
    `peak RSS ${(peakRssBytes / 2 ** 20).toFixed(0)} MB; load ${os.loadavg().map((value) => value.toFixed(1)).join(' ')}`,
);
