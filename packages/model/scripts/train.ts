/**
 * Training CLI: trains a model from a CSV of features and closes and writes the `.onnx` and a report.
 *
 *   npx tsx --conditions=@tradepipe/source packages/model/scripts/train.ts \
 *     --features rows.csv --options options.json --feature-set-version tp-51-v1 --out model.onnx [--report report.json]
 *
 * `rows.csv`: header `start_ms,close,<feature 1>,<feature 2>,…`, one row per candle, oldest first; the
 * feature columns' names and order become the model's `feature_names`. `options.json` follows
 * `TrainingOptionsSchema` (labeling, model, walkForward, feeRateBps, granularity, ids).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { TradepipeError, parseWith } from '@tradepipe/core';
import { trainSignalModel } from '../src/index.js';

const ArgsSchema = z.object({
  features: z.string().min(1),
  options: z.string().min(1),
  'feature-set-version': z.string().min(1),
  out: z.string().min(1),
  report: z.string().optional(),
});

async function readFeatureCsv(path: string): Promise<{ names: string[]; rows: number[][]; closes: number[]; timestamps: number[] }> {
  const lines = (await readFile(path, 'utf8')).trim().split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((name) => name.trim());
  if (header[0] !== 'start_ms' || header[1] !== 'close' || header.length < 3) {
    throw new TradepipeError('validation_failed', 'The features CSV header must be start_ms,close,<features…>');
  }
  const rows: number[][] = [];
  const closes: number[] = [];
  const timestamps: number[] = [];
  lines.slice(1).forEach((line, index) => {
    const cells = line.split(',').map(Number);
    if (cells.length !== header.length || cells.some((cell) => !Number.isFinite(cell))) {
      throw new TradepipeError('validation_failed', 'A features CSV row is malformed or not numeric', { details: { line: index + 2 } });
    }
    timestamps.push(cells[0] as number);
    closes.push(cells[1] as number);
    rows.push(cells.slice(2));
  });
  return { names: header.slice(2), rows, closes, timestamps };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { features: { type: 'string' }, options: { type: 'string' }, 'feature-set-version': { type: 'string' }, out: { type: 'string' }, report: { type: 'string' } },
  });
  const args = parseWith(ArgsSchema, values, 'command-line arguments');
  const options = JSON.parse(await readFile(args.options, 'utf8')) as unknown;
  const data = await readFeatureCsv(args.features);
  const result = trainSignalModel({
    features: data.rows,
    closes: data.closes,
    timestamps: data.timestamps,
    featureNames: data.names,
    featureSetVersion: args['feature-set-version'],
    options: options as never,
  });
  await writeFile(args.out, result.onnx);
  if (args.report !== undefined) await writeFile(args.report, `${JSON.stringify(result.report, null, 2)}\n`);
  const walkForward = result.report.walkForward;
  process.stdout.write(`wrote ${args.out} (${result.onnx.byteLength} bytes), ${result.report.labelledRows} labelled rows\n`);
  if (walkForward !== undefined) {
    process.stdout.write(`walk-forward: balanced accuracy ${walkForward.meanBalancedAccuracy.toFixed(4)} (chance 0.3333), macro F1 ${walkForward.meanMacroF1.toFixed(4)}, strategy ${walkForward.compoundedStrategyReturn.toFixed(4)} vs buy-and-hold ${walkForward.compoundedBuyAndHoldReturn.toFixed(4)}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
