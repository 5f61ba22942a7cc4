import { resolve } from 'node:path';
import { BACKTEST_REPORT_SCHEMA_VERSION, type BacktestReport } from '@tradepipe/core';
import { z } from 'zod';
import { EXIT_CODES, UsageError } from '../cli-errors.js';
import type { Command, CommandInput } from '../command.js';
import { renderHtmlReport } from '../report/render-html-report.js';
import { renderTextSummary } from '../report/text-summary.js';
import { readUserTextFile, writeUserFile } from '../user-files.js';

/** The parts of a report the renderer reads first: the version and the sections (the renderer trusts the rest). */
const ReportShapeSchema = z.looseObject({
  schemaVersion: z.literal(BACKTEST_REPORT_SCHEMA_VERSION),
  title: z.string(),
  productId: z.string(),
  period: z.looseObject({ fromMs: z.number(), toMs: z.number() }),
  metrics: z.looseObject({}),
  baselines: z.array(z.looseObject({ name: z.string() })),
  series: z.looseObject({ price: z.array(z.unknown()), equity: z.array(z.unknown()), drawdown: z.array(z.unknown()) }),
  trades: z.array(z.unknown()),
  funnel: z.looseObject({}),
  /** Absent from a report.json written before it was counted; when present, instants a Date holds. */
  inSample: z
    .looseObject({ candles: z.number().int().nonnegative(), trainingFromMs: z.number().int().min(-8.64e15).max(8.64e15), trainingToMs: z.number().int().min(-8.64e15).max(8.64e15) })
    .optional(),
});

/**
 * Reads a report.json written by `tradepipe backtest --out`, checked against core's report schema.
 * @throws TradepipeError `not_found` when the file cannot be read; UsageError when it is not a report
 */
async function readReport(path: string): Promise<BacktestReport> {
  const text = await readUserTextFile(path, 'report');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not JSON: give the report.json that tradepipe backtest --out wrote`);
  }
  const shape = ReportShapeSchema.safeParse(json);
  if (!shape.success) {
    throw new UsageError(`${path} is not a tradepipe backtest report of schema version ${BACKTEST_REPORT_SCHEMA_VERSION} (${shape.error.issues[0]?.path.join('.') ?? ''}: ${shape.error.issues[0]?.message ?? ''})`);
  }
  return json as BacktestReport;
}

async function runReport(input: CommandInput): Promise<number> {
  const [jsonPath] = input.positionals;
  if (jsonPath === undefined) throw new UsageError('tradepipe report needs the path of a report.json (see tradepipe report --help)');
  const source = resolve(input.io.cwd, jsonPath);
  const report = await readReport(source);
  const out = typeof input.values.out === 'string' ? resolve(input.io.cwd, input.values.out) : source.replace(/\.json$/i, '') + '.html';
  await writeUserFile(out, renderHtmlReport(report), 'HTML report');
  if (input.flags.json) input.io.stdout.write(`${JSON.stringify({ written: [out] })}\n`);
  else input.io.stdout.write(`${renderTextSummary(report)}\n  wrote            ${out}\n`);
  return EXIT_CODES.ok;
}

/** `tradepipe report`: re-renders the HTML page (and prints the metrics) from a report.json. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'render the HTML report again from a report.json',
  arguments: '<report.json>',
  description: 'Reads a report.json written by `tradepipe backtest --out`, checks it against the report schema, prints the\nmetrics beside both baselines and writes the self-contained HTML page (beside the JSON unless --out).',
  options: { out: { type: 'string', value: '<file>', description: 'where to write the HTML (default: the JSON path with .html)' } },
  examples: ['tradepipe report reports/bundled/report.json', 'tradepipe report report.json --out /tmp/report.html'],
  maxPositionals: 1,
  run: runReport,
};
