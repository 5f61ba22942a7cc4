import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { backtest } from '@tradepipe/core';
import { stringOption } from '../arguments.js';
import { EXIT_CODES } from '../cli-errors.js';
import type { Command, CommandInput } from '../command.js';
import { createProgress } from '../io.js';
import { RUN_OPTIONS, prepareRun } from '../prepare-run.js';
import { formatRunSummary, summarizeRun, type RunSummary } from '../run-summary.js';

/** The JSON `backtest --out` writes and `--json` prints. */
export interface BacktestOutput {
  readonly schemaVersion: 1;
  /** When the report was made: the one field that differs between two identical runs. */
  readonly generatedAtMs: number;
  readonly source: string;
  readonly pipeline: { readonly model: string; readonly validator: string; readonly feeRateBps: number; readonly slippageBps: number };
  readonly summary: RunSummary;
}

/** Runs a backtest as the command line asks; shared by `backtest` and `run`. */
export async function runBacktest(input: CommandInput, title: string): Promise<number> {
  const { values, io, flags } = input;
  const prepared = await prepareRun(values, io, flags);
  const progress = createProgress(io, flags, 'replay');
  const startedAtMs = performance.now();
  const { records } = await backtest({ ...prepared.options, onProgress: ({ candlesDone, candlesTotal }) => progress.update(candlesDone, candlesTotal) });
  const elapsedMs = performance.now() - startedAtMs;
  progress.done(`${records.candles.length} candles in ${(elapsedMs / 1000).toFixed(1)} s`);
  const output: BacktestOutput = {
    schemaVersion: 1,
    generatedAtMs: Date.now(),
    source: prepared.input.source,
    pipeline: { model: prepared.modelName, validator: prepared.settings.describeValidator, feeRateBps: prepared.settings.feeRateBps, slippageBps: prepared.settings.slippageBps },
    summary: summarizeRun(records, prepared.settings.startingUsd),
  };
  const outDirectory = stringOption(values, 'out');
  const written: string[] = [];
  if (outDirectory !== undefined) {
    const directory = resolve(io.cwd, outDirectory);
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, 'report.json'), `${JSON.stringify(output, null, 2)}\n`);
    written.push(join(directory, 'report.json'));
  }
  if (flags.json) {
    io.stdout.write(`${JSON.stringify({ ...output, written })}\n`);
    return EXIT_CODES.ok;
  }
  const lines = [
    `${title} — ${output.summary.productId} ${output.summary.granularity}, paper trading`,
    `  candles          ${prepared.input.source}`,
    `  pipeline         ${output.pipeline.model}; validator ${output.pipeline.validator}; fee ${output.pipeline.feeRateBps} bps, slippage ${output.pipeline.slippageBps} bps`,
    ...formatRunSummary(output.summary),
    ...written.map((path) => `  wrote            ${path}`),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_CODES.ok;
}

/** `tradepipe backtest`. */
export const backtestCommand: Command = {
  name: 'backtest',
  summary: 'backtest a pipeline over candles on paper, with a JSON and HTML report',
  description: [
    'Replays candles one by one through the whole pipeline (51 features, the model, the $100 bridge, the validator,',
    'risk with exits, the paper executor filling at the next open) as if each had just closed: nothing at step t sees',
    'a candle after t. Candles before --from only warm the features. The same run twice gives the same report apart',
    'from generatedAtMs.',
  ].join('\n'),
  options: { ...RUN_OPTIONS, out: { type: 'string', value: '<dir>', description: 'write <dir>/report.json (and report.html)' } },
  examples: [
    'tradepipe backtest --out reports/bundled',
    'tradepipe backtest --candles eth-usd-1h.csv --product ETH-USD --granularity 1h --model eth.onnx --from 2025-01-01',
    'tradepipe backtest --validator ollama --ollama-model llama3.2 --verdict-cache .tradepipe/verdicts',
  ],
  run: (input) => runBacktest(input, 'tradepipe backtest'),
};
