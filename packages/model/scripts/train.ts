/**
 * Training command: trains a model from candles (one CSV per product; several are pooled) and writes the
 * `.onnx` and a report. Candles in, no features CSV needed.
 *
 *   npx tsx --conditions=@tradepipe/source packages/model/scripts/train.ts \
 *     --series BTC-USD:ONE_DAY:data/btc-usd-1d.csv [--series ETH-USD:ONE_DAY:eth.csv] \
 *     --options options.json --out model.onnx [--report report.json] [--until 2024-09-25]
 *
 * CSV: the project's candle format (`timestamp,open,close,volume,unix_timestamp,high,low`, core's
 * `parseCandleCsv`). `options.json` follows `CandleTrainingOptionsSchema` (durations in ms), plus an optional
 * `"featureNames"` list (default: `defaultModelFeatureNames(granularity)` of `@tradepipe/features`).
 * `--until` leaves every candle starting at or after that UTC day out (a hold-out).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { GranularitySchema, TradepipeError, parseCandleCsv } from '@tradepipe/core';
import { createFeatureSet, defaultModelFeatureNames } from '@tradepipe/features';
import { trainModelFromCandles, type CandleSeries, type CandleTrainingOptions } from '../src/index.js';

async function readSeries(spec: string, untilMs: number): Promise<CandleSeries> {
  const [productId, granularityText, ...pathParts] = spec.split(':');
  const granularity = GranularitySchema.safeParse(granularityText);
  if (productId === undefined || !granularity.success || pathParts.length === 0) {
    throw new TradepipeError('validation_failed', '--series must be PRODUCT:GRANULARITY:path.csv', { details: { series: spec } });
  }
  const text = await readFile(pathParts.join(':'), 'utf8');
  const candles = parseCandleCsv({ text, productId, granularity: granularity.data }).filter((candle) => candle.startMs < untilMs);
  return { productId, granularity: granularity.data, candles };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { series: { type: 'string', multiple: true }, options: { type: 'string' }, out: { type: 'string' }, report: { type: 'string' }, until: { type: 'string' } },
  });
  if (values.series === undefined || values.options === undefined || values.out === undefined) {
    throw new TradepipeError('validation_failed', 'Give --series (one or more), --options and --out');
  }
  const untilMs = values.until === undefined ? Number.POSITIVE_INFINITY : Date.parse(`${values.until}T00:00:00Z`);
  const series = await Promise.all(values.series.map((spec) => readSeries(spec, untilMs)));
  const { featureNames, ...settings } = JSON.parse(await readFile(values.options, 'utf8')) as { featureNames?: string[] } & Record<string, unknown>;
  const result = trainModelFromCandles({
    ...(settings as unknown as CandleTrainingOptions),
    featureSet: createFeatureSet(),
    featureNames: featureNames ?? defaultModelFeatureNames(series[0]!.granularity),
    series,
  });
  await writeFile(values.out, result.onnx);
  if (values.report !== undefined) await writeFile(values.report, `${JSON.stringify(result.report, null, 2)}\n`);
  const walkForward = result.report.walkForward;
  process.stdout.write(`wrote ${values.out} (${result.onnx.byteLength} bytes), ${result.report.labelledRows} labelled rows\n`);
  if (walkForward !== undefined) {
    process.stdout.write(
      `walk-forward: balanced accuracy ${walkForward.meanBalancedAccuracy.toFixed(4)} (chance 0.3333), Sharpe ${walkForward.strategySharpe?.toFixed(2)} vs buy-and-hold ${walkForward.buyAndHoldSharpe?.toFixed(2)}\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
