// The main job: the bundled BTC-USD candles through the embedded tradepipe pipeline, on embedded defaults
// (no server, no network, paper trading). History before the hold-out year warms the features; the hold-out
// year (data the default model never saw) is replayed candle by candle through every stage.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBacktestReport, createJsonLogger, createManualClock, createMemoryStore, replayCandles, silentLogger, type Clock, type PipelineStore } from '@tradepipe/core';
import { createPgliteStore } from '@tradepipe/storage-pg';
import { randomBytes } from 'node:crypto';
import { loadBundledCandles } from './bundled-candles.js';
import { PAPER_COSTS, STARTING_USD, createEmbeddedPipeline } from './embedded-pipeline.js';
import { writeReportFiles } from './report-files.js';
import { summarise } from './report.js';
import { compareWithBatchedReplay, cpuMsSince, formatReplayComparison } from './replay-comparison.js';

/** The first day the default model did not train on. */
const HOLD_OUT_START_MS = Date.UTC(2024, 8, 25);

/** The embedded default is PGlite in memory (PostgreSQL in WebAssembly); `--store=memory` uses core's in-memory store. */
async function openStore(clock: Clock): Promise<PipelineStore> {
  const choice = process.argv.find((argument) => argument.startsWith('--store='))?.slice('--store='.length) ?? 'pglite';
  if (choice === 'memory') return createMemoryStore({ clock });
  if (choice === 'pglite') return createPgliteStore({ clock });
  throw new Error(`unknown store "${choice}": use --store=pglite or --store=memory`);
}

/** The HTML and JSON reports go to `--out=DIR`, by default `examples/embedded/out` (gitignored). */
function reportDirectory(): string {
  const chosen = process.argv.find((argument) => argument.startsWith('--out='))?.slice('--out='.length);
  return resolve(chosen ?? fileURLToPath(new URL('../out/', import.meta.url)));
}

async function main(): Promise<void> {
  const startedAtMs = performance.now();
  const data = loadBundledCandles();
  const history = data.candles.filter((candle) => candle.startMs < HOLD_OUT_START_MS);
  const holdOut = data.candles.filter((candle) => candle.startMs >= HOLD_OUT_START_MS);
  const clock = createManualClock(HOLD_OUT_START_MS);
  const verbose = process.argv.includes('--verbose');
  const logger = verbose ? createJsonLogger({ write: (line) => process.stderr.write(`${line}\n`), nowMs: () => clock.nowMs() }) : silentLogger;
  const store = await openStore(clock);
  const approvalSecret = randomBytes(32).toString('hex'); // shared with the batched run, whose approvals are compared
  // History is market data the pipeline has already seen: stored as done, it only warms the features.
  await store.putCandles(history, { state: 'DONE' });
  const pipeline = await createEmbeddedPipeline({ store, clock, logger, approvalSecret });
  const replayStartedAtMs = performance.now();
  const replayStartedCpu = process.cpuUsage();
  await replayCandles({ pipeline, store, clock, candles: holdOut });
  const referenceMs = performance.now() - replayStartedAtMs;
  const referenceCpuMs = cpuMsSince(replayStartedCpu);
  const health = await pipeline.health('embedded');
  const backtest = await buildBacktestReport({
    store, candles: holdOut, history, startingQuote: STARTING_USD, costs: PAPER_COSTS, generatedAtMs: clock.nowMs(),
    title: 'tradepipe embedded run — BTC-USD daily, hold-out year, paper trading',
  });
  const reportPath = writeReportFiles(backtest, reportDirectory());
  const report = await summarise({ store, data, holdOut, health, backtest, reportPath, elapsedMs: performance.now() - startedAtMs });
  process.stdout.write(`${report}\n`);
  // The same year again with the batched replay, on a fresh store of the same kind: both times, and every record compared.
  const comparison = await compareWithBatchedReplay({ openStore, referenceStore: store, referenceMs, referenceCpuMs, history, holdOut, startMs: HOLD_OUT_START_MS, approvalSecret, logger });
  process.stdout.write(`${formatReplayComparison(comparison)}\n`);
  if (comparison.firstDifference !== undefined) process.exitCode = 1;
  await store.close();
  if (health.status === 'failing') process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`main job failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
