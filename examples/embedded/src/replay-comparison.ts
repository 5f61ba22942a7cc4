import { isDeepStrictEqual } from 'node:util';
import {
  collectReplayRecords,
  createManualClock,
  replayCandlesBatched,
  type Candle,
  type Clock,
  type Logger,
  type PipelineStore,
  type ReplayRecords,
} from '@tradepipe/core';
import { createEmbeddedPipeline } from './embedded-pipeline.js';

/** The pipeline id of the embedded run (record ids derive from it). */
const PIPELINE_ID = 'embedded-btc-usd';

/** What the comparison of the two replay modes found. */
export interface ReplayComparison {
  /** Wall time of the candle-by-candle replay. */
  readonly referenceMs: number;
  /** Process CPU time (user + system) of the candle-by-candle replay: steadier than wall time on a busy machine. */
  readonly referenceCpuMs: number;
  /** Wall time of the batched replay. */
  readonly batchedMs: number;
  /** Process CPU time of the batched replay. */
  readonly batchedCpuMs: number;
  /** Candles the batched replay decided without the stages. */
  readonly quietCandles: number;
  /** Candles the batched replay ran through the stages. */
  readonly fullPathCandles: number;
  /** The first part whose records differ, or `undefined` when every record is the same. */
  readonly firstDifference: string | undefined;
}

/** Process CPU time (user + system) since `start` (a `process.cpuUsage()` reading), ms. */
export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function firstDifference(batched: ReplayRecords, reference: ReplayRecords): string | undefined {
  for (const key of ['candles', 'signals', 'recommendations', 'orders', 'positions', 'balances'] as const) {
    if (!isDeepStrictEqual(batched[key], reference[key])) return key;
  }
  return undefined;
}

/**
 * Replays the same hold-out with `replayCandlesBatched` on a fresh store of the same kind and compares every
 * record with the candle-by-candle run already in `referenceStore`: signals, recommendations (state and
 * reason), validations, assessments, approvals, orders, fills, positions and balances.
 * @param input.approvalSecret the secret both runs sign approvals with (approvals are compared too)
 */
export async function compareWithBatchedReplay(input: {
  readonly openStore: (clock: Clock) => Promise<PipelineStore>;
  readonly referenceStore: PipelineStore;
  readonly referenceMs: number;
  readonly referenceCpuMs: number;
  readonly history: readonly Candle[];
  readonly holdOut: readonly Candle[];
  readonly startMs: number;
  readonly approvalSecret: string;
  readonly logger: Logger;
}): Promise<ReplayComparison> {
  const clock = createManualClock(input.startMs);
  const store = await input.openStore(clock);
  try {
    await store.putCandles(input.history, { state: 'DONE' });
    const pipeline = await createEmbeddedPipeline({ store, clock, logger: input.logger, approvalSecret: input.approvalSecret });
    const startedAtMs = performance.now();
    const startedCpu = process.cpuUsage();
    const result = await replayCandlesBatched({ pipeline, store, clock, candles: input.holdOut });
    const batchedMs = performance.now() - startedAtMs;
    const batchedCpuMs = cpuMsSince(startedCpu);
    const options = { pipelineId: PIPELINE_ID, candles: input.holdOut };
    const [batched, reference] = [await collectReplayRecords(store, options), await collectReplayRecords(input.referenceStore, options)];
    return { referenceMs: input.referenceMs, referenceCpuMs: input.referenceCpuMs, batchedMs, batchedCpuMs, quietCandles: result.quietCandles, fullPathCandles: result.fullPathCandles, firstDifference: firstDifference(batched, reference) };
  } finally {
    await store.close();
  }
}

/** The comparison as report lines. The verdict needs both the wall and the CPU ratio at 10× or more: a busy machine can stretch the reference's wall time alone (5–10× for the same code). */
export function formatReplayComparison(comparison: ReplayComparison): string {
  const speedup = comparison.referenceMs / comparison.batchedMs;
  const cpuSpeedup = comparison.referenceCpuMs / comparison.batchedCpuMs;
  const cpu = (ms: number): string => `${(ms / 1000).toFixed(2)} s CPU`;
  return [
    '  replay modes',
    `    candle by candle   ${(comparison.referenceMs / 1000).toFixed(2)} s (${cpu(comparison.referenceCpuMs)}; the reference)`,
    `    batched            ${(comparison.batchedMs / 1000).toFixed(2)} s (${cpu(comparison.batchedCpuMs)}): ${speedup.toFixed(1)}× faster, ${cpuSpeedup.toFixed(1)}× in CPU (target ≥ 10× in both: ${Math.min(speedup, cpuSpeedup) >= 10 ? 'MET' : 'MISSED'}); ${comparison.quietCandles} quiet candles written in bulk, ${comparison.fullPathCandles} through the stages`,
    `    records            ${comparison.firstDifference === undefined ? 'identical (signals, recommendations, validations, assessments, approvals, orders, fills, positions, balances)' : `DIFFER in ${comparison.firstDifference}`}`,
  ].join('\n');
}
