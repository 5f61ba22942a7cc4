import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { choiceOption, dateOption, isoDay, numberOption, stringOption } from '../arguments.js';
import { CANDLE_OPTIONS, loadCandleInput } from '../candle-input.js';
import { EXIT_CODES, UsageError } from '../cli-errors.js';
import type { Command } from '../command.js';
import { trainFromCandles } from '../training.js';

/** `tradepipe train`. */
export const trainCommand: Command = {
  name: 'train',
  summary: 'train a signal model from candles and write it as ONNX',
  description: [
    'Computes the 51 features over the candles (in order, as the pipeline does), labels each row BUY/SELL/HOLD by',
    'its forward return over --horizon candles, evaluates walk-forward folds (purged by the horizon), trains the',
    'final model on every labelled row and writes the .onnx with its metadata (feature names and version,',
    "granularity, labeling, training range, walk-forward figures). Load it with 'tradepipe backtest --model'.",
    'Keep the period you will test on out of --from/--to.',
  ].join('\n'),
  options: {
    ...CANDLE_OPTIONS,
    from: { type: 'string', value: '<date>', description: 'first candle of the training range (default the first)' },
    to: { type: 'string', value: '<date>', description: 'end of the training range, exclusive (default 2024-09-25 for the bundled file, else all)' },
    out: { type: 'string', value: '<file.onnx>', description: 'where to write the model (required)' },
    report: { type: 'string', value: '<file.json>', description: 'also write the training report' },
    kind: { type: 'string', value: 'linear|trees', description: 'multinomial logistic regression (default) or gradient-boosted trees' },
    horizon: { type: 'string', value: '<candles>', description: 'label horizon in candles (default 5)' },
    'buy-threshold': { type: 'string', value: '<fraction>', description: 'forward return above which a row is BUY (default 0.02)' },
    'sell-threshold': { type: 'string', value: '<fraction>', description: 'forward return below which a row is SELL (default -0.02)' },
    folds: { type: 'string', value: '<n>', description: 'walk-forward folds (default 5; 0 for none)' },
  },
  examples: ['tradepipe train --out model.onnx', 'tradepipe train --candles btc-usd-1h.csv --granularity 1h --horizon 24 --kind trees --out btc-1h.onnx --report btc-1h.json'],
  async run({ values, io, flags }) {
    const out = stringOption(values, 'out');
    if (out === undefined) throw new UsageError('--out <file.onnx> is required', 'train');
    const input = await loadCandleInput(values, io, flags, dateOption(values, 'from') ?? Date.UTC(2024, 0, 1));
    const fromMs = dateOption(values, 'from') ?? Number.NEGATIVE_INFINITY;
    const toMs = dateOption(values, 'to') ?? (input.bundled ? Date.UTC(2024, 8, 25) : Number.POSITIVE_INFINITY);
    const candles = input.candles.filter((candle) => candle.startMs >= fromMs && candle.startMs < toMs);
    if (candles.length === 0) throw new UsageError('no candle falls in --from … --to', 'train');
    const folds = numberOption(values, 'folds', { min: 0, max: 50, integer: true }) ?? 5;
    const kind = choiceOption(values, 'kind', ['linear', 'trees'], 'linear');
    const result = trainFromCandles(candles, {
      labeling: { horizon: numberOption(values, 'horizon', { min: 1, integer: true }) ?? 5, buyThreshold: numberOption(values, 'buy-threshold') ?? 0.02, sellThreshold: numberOption(values, 'sell-threshold') ?? -0.02 },
      model: { kind: kind === 'linear' ? 'linear' : 'gradient_boosted_trees' },
      granularity: input.granularity,
      modelId: `tradepipe-${input.productId.toLowerCase()}-${input.granularity.toLowerCase()}`,
      ...(folds === 0 ? {} : { walkForward: { folds, minTrainRows: Math.max(20, Math.min(500, Math.floor(candles.length / (folds + 1)))) } }),
    });
    const outPath = resolve(io.cwd, out);
    await writeFile(outPath, result.onnx);
    const reportPath = stringOption(values, 'report');
    if (reportPath !== undefined) await writeFile(resolve(io.cwd, reportPath), `${JSON.stringify(result.report, null, 2)}\n`);
    const walkForward = result.report.walkForward;
    if (flags.json) {
      io.stdout.write(`${JSON.stringify({ model: outPath, bytes: result.onnx.byteLength, report: result.report })}\n`);
      return EXIT_CODES.ok;
    }
    const range = result.report.trainingRange;
    const lines = [
      `trained ${kind} on ${input.productId} ${input.granularity}: ${result.report.labelledRows} labelled rows (${isoDay(range.fromMs)} … ${isoDay(range.toMs)}), labels BUY ${result.report.labelCounts.BUY}, SELL ${result.report.labelCounts.SELL}, HOLD ${result.report.labelCounts.HOLD}`,
      ...(walkForward === undefined ? [] : [`walk-forward (${walkForward.folds.length} folds): balanced accuracy ${walkForward.meanBalancedAccuracy.toFixed(4)} (chance 0.3333), macro F1 ${walkForward.meanMacroF1.toFixed(4)}, strategy ${walkForward.compoundedStrategyReturn.toFixed(4)} vs buy-and-hold ${walkForward.compoundedBuyAndHoldReturn.toFixed(4)}`]),
      `wrote ${outPath} (${result.onnx.byteLength} bytes)${reportPath === undefined ? '' : ` and ${resolve(io.cwd, reportPath)}`}`,
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return EXIT_CODES.ok;
  },
};
