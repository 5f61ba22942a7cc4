import { mkdir, writeFile } from 'node:fs/promises';
import { inSampleLine, renderHtmlReport } from '../report/render-html-report.js';
import { join, resolve } from 'node:path';
import { backtest, type BacktestReport } from '@tradepipe/core';
import { isoDay, stringOption } from '../arguments.js';
import { EXIT_CODES } from '../cli-errors.js';
import type { Command, CommandInput } from '../command.js';
import { createProgress } from '../io.js';
import { RUN_OPTIONS, prepareRun } from '../prepare-run.js';
import { formatRunSummary, summarizeRun, type RunSummary } from '../run-summary.js';

/** What `--json` prints: where the candles came from, the pipeline, the stage summary and the report. */
export interface BacktestOutput {
  readonly source: string;
  readonly pipeline: { readonly model: string; readonly validator: string; readonly feeRateBps: number; readonly slippageBps: number };
  readonly summary: RunSummary;
  /** core's `BacktestReport`: what `--out` writes as report.json. */
  readonly report: BacktestReport | undefined;
}

const fixed = (value: number | null, digits = 2): string => (value === null ? '—' : value.toFixed(digits));
const pct = (value: number | null): string => (value === null ? '—' : `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`);

/** The metrics table: the strategy beside both baselines. */
export function metricsTable(report: BacktestReport): string[] {
  const rows = [{ label: 'strategy', metrics: report.metrics }, ...report.baselines.map((baseline) => ({ label: baseline.name, metrics: baseline.metrics }))];
  return [
    `  ${''.padEnd(16)} ${'return'.padStart(9)} ${'CAGR'.padStart(9)} ${'Sharpe'.padStart(7)} ${'Sortino'.padStart(8)} ${'max DD'.padStart(9)} ${'trips'.padStart(6)} ${'fees'.padStart(9)}`,
    ...rows.map(({ label, metrics }) =>
      `  ${label.slice(0, 16).padEnd(16)} ${pct(metrics.totalReturnFraction).padStart(9)} ${pct(metrics.cagrFraction).padStart(9)} ${fixed(metrics.sharpe).padStart(7)} ${fixed(metrics.sortino).padStart(8)} ${pct(-Math.abs(metrics.maxDrawdown.depthFraction)).padStart(9)} ${String(metrics.roundTrips).padStart(6)} ${`$${metrics.feesQuote.toFixed(2)}`.padStart(9)}`),
    '  (ratios on equity resampled to UTC days, 365-day year, √365, risk-free 0; baselines pay the same fee and slippage)',
  ];
}

/** Runs a backtest as the command line asks; shared by `backtest` and `run`. */
export async function runBacktest(input: CommandInput, title: string): Promise<number> {
  const { values, io, flags } = input;
  const prepared = await prepareRun(values, io, flags);
  const progress = createProgress(io, flags, 'replay');
  const startedAtMs = performance.now();
  const costs = { feeRateBps: prepared.settings.feeRateBps, slippageBps: prepared.settings.slippageBps };
  const { records, report } = await backtest({ ...prepared.options, costs, title, onProgress: ({ candlesDone, candlesTotal }) => progress.update(candlesDone, candlesTotal) });
  const elapsedMs = performance.now() - startedAtMs;
  progress.done(`${records.candles.length} candles in ${(elapsedMs / 1000).toFixed(1)} s`);
  const output: BacktestOutput = {
    source: prepared.input.source,
    pipeline: { model: prepared.modelName, validator: prepared.validatorName, feeRateBps: prepared.settings.feeRateBps, slippageBps: prepared.settings.slippageBps },
    summary: summarizeRun(records, prepared.settings.startingUsd),
    report,
  };
  const outDirectory = stringOption(values, 'out');
  const written: string[] = [];
  if (outDirectory !== undefined) {
    const directory = resolve(io.cwd, outDirectory);
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    written.push(join(directory, 'report.json'));
    if (report !== undefined) {
      await writeFile(join(directory, 'report.html'), renderHtmlReport(report));
      written.push(join(directory, 'report.html'));
    }
  }
  if (flags.json) {
    io.stdout.write(`${JSON.stringify({ ...output, written })}\n`);
    return EXIT_CODES.ok;
  }
  const inSample = report === undefined ? undefined : inSampleLine(report);
  const lines = [
    `${title} — ${output.summary.productId} ${output.summary.granularity}, paper trading`,
    `  candles          ${prepared.input.source}`,
    `  pipeline         ${output.pipeline.model}; validator ${output.pipeline.validator}; fee ${output.pipeline.feeRateBps} bps, slippage ${output.pipeline.slippageBps} bps`,
    ...formatRunSummary(output.summary),
    ...(inSample === undefined ? [] : [`  WARNING          ${inSample} Trade from after ${isoDay(report!.inSample!.trainingToMs)} (--from) for an out-of-sample run.`]),
    ...(report === undefined ? [] : metricsTable(report)),
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
