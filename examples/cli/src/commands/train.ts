import { resolve } from 'node:path';
import { GRANULARITIES, isTradepipeError } from '@tradepipe/core';
import { createFeatureSet } from '@tradepipe/features';
import { trainModelFromCandles, type TrainSignalModelResult, type TrainModelFromCandlesInput } from '@tradepipe/model';
import { choiceOption, durationOption, formatDuration, isoDay, numberOption, stringOption } from '../arguments.js';
import { CANDLE_OPTIONS } from '../candle-input.js';
import { EXIT_CODES, UsageError } from '../cli-errors.js';
import type { Command } from '../command.js';
import { featureChoiceOption } from '../feature-choice.js';
import { loadTrainingSeries } from '../training-series.js';
import { writeUserFile } from '../user-files.js';

/** The CLI option behind each duration of `trainModelFromCandles`'s settings, for its typed error. */
const DURATION_OPTIONS: Readonly<Record<string, string>> = { horizonMs: 'horizon', minTrainMs: 'min-train', trainWindowMs: 'train-window' };

/**
 * Trains through `trainModelFromCandles`; its refusal of a duration that is not a whole number of candles
 * becomes a usage error naming the option.
 */
function train(input: TrainModelFromCandlesInput): TrainSignalModelResult {
  try {
    return trainModelFromCandles(input);
  } catch (error) {
    const key = isTradepipeError(error) && error.code === 'validation_failed' ? Object.keys(error.details).find((name) => name in DURATION_OPTIONS) : undefined;
    if (key === undefined) throw error;
    const granularity = input.series[0]!.granularity;
    const stepMs = GRANULARITIES[granularity];
    const givenMs = Number((error as { details: Record<string, unknown> }).details[key]);
    throw new UsageError(`--${DURATION_OPTIONS[key]} ${formatDuration(givenMs)} is not a whole number of ${granularity} candles (${formatDuration(stepMs)} each)`, 'train');
  }
}

/** `tradepipe train`. */
export const trainCommand: Command = {
  name: 'train',
  summary: 'train a signal model from candles and write it as ONNX',
  description: [
    "Trains with @tradepipe/model's trainModelFromCandles: computes the feature set over the candles (in order, as",
    'the pipeline does), labels each candle BUY/SELL/HOLD by its forward return over --horizon (a duration, a whole',
    'number of candles), evaluates walk-forward folds (purged by time), trains the final model on every labelled',
    'candle and writes the .onnx with its metadata (products, granularity, horizon, thresholds, training range,',
    "feature names and version, walk-forward figures). Load it with 'tradepipe backtest --model'. Several products",
    'given to --product (comma-separated) are pooled into one model. Keep the period you will test on out of',
    '--from/--to.',
  ].join('\n'),
  options: {
    ...CANDLE_OPTIONS,
    candles: { type: 'string', value: '<file[,file…]>', description: 'candle CSV (default the bundled BTC-USD daily file); with several products, one file per product, comma-separated in --product order' },
    product: { type: 'string', value: '<id[,id…]>', description: 'product id (default BTC-USD); several, comma-separated, are pooled into one model' },
    from: { type: 'string', value: '<date>', description: 'first candle of the training range (default the first); its first 699 candles only warm the features' },
    to: { type: 'string', value: '<date>', description: 'end of the training range, exclusive (default 2024-09-25 for the bundled file, else all)' },
    out: { type: 'string', value: '<file.onnx>', description: 'where to write the model (required)' },
    report: { type: 'string', value: '<file.json>', description: 'also write the training report' },
    kind: { type: 'string', value: 'linear|trees', description: 'multinomial logistic regression (default) or gradient-boosted trees' },
    features: { type: 'string', value: '<name,…|default|all>', description: 'features the model reads: default (the default model set of the granularity; 49 on daily candles), all (51), or names' },
    horizon: { type: 'string', value: '<duration>', description: 'label horizon: 5d, 24h, 90m or plain ms, a whole number of candles (default 5 candles)' },
    'buy-threshold': { type: 'string', value: '<fraction>', description: 'forward return above which a candle is BUY (default 0.02)' },
    'sell-threshold': { type: 'string', value: '<fraction>', description: 'forward return below which a candle is SELL (default -0.02)' },
    folds: { type: 'string', value: '<n>', description: 'walk-forward folds (default 5; 0 for none)' },
    'min-train': { type: 'string', value: '<duration>', description: "walk-forward: the first fold's training window (default an even share of the warm candles, 20 … 500 candles)" },
    'train-window': { type: 'string', value: '<duration>', description: 'walk-forward: train each fold on this rolling window only (default all earlier candles)' },
    'fee-bps': { type: 'string', value: '<bps>', description: "walk-forward scoring: fee per position change in basis points (default 120, backtest's paper fee)" },
    'slippage-bps': { type: 'string', value: '<bps>', description: "walk-forward scoring: slippage per position change in basis points (default 5, backtest's)" },
  },
  examples: [
    'tradepipe train --out model.onnx',
    'tradepipe train --candles btc-usd-1h.csv --granularity 1h --horizon 24h --kind trees --out btc-1h.onnx --report btc-1h.json',
    'tradepipe train --product BTC-USD,ETH-USD --candles btc-1d.csv,eth-1d.csv --features rsi_14,macd_histogram_to_close --out pooled.onnx',
  ],
  async run({ values, io, flags }) {
    const out = stringOption(values, 'out');
    if (out === undefined) throw new UsageError('--out <file.onnx> is required', 'train');
    const kind = choiceOption(values, 'kind', ['linear', 'trees'], 'linear');
    const folds = numberOption(values, 'folds', { min: 0, max: 50, integer: true }) ?? 5;
    const horizonOption = durationOption(values, 'horizon');
    const minTrainOption = durationOption(values, 'min-train');
    const trainWindowMs = durationOption(values, 'train-window');
    if (folds === 0 && (minTrainOption !== undefined || trainWindowMs !== undefined)) throw new UsageError('--min-train and --train-window set the walk-forward: leave them out with --folds 0', 'train');
    // The walk-forward pays what a backtest pays by default (fee + slippage per position change): its figures and the
    // backtest's then compare (the trainer's own default, 60 bps, made a model look better than any backtest of it).
    const costBps = (numberOption(values, 'fee-bps', { min: 0, max: 1_000 }) ?? 120) + (numberOption(values, 'slippage-bps', { min: 0, max: 1_000 }) ?? 5);
    const buyThreshold = numberOption(values, 'buy-threshold') ?? 0.02;
    const sellThreshold = numberOption(values, 'sell-threshold') ?? -0.02;
    const training = await loadTrainingSeries(values, io, flags, 'train');
    const { granularity } = training.inputs[0]!;
    const features = featureChoiceOption(values, 'features', granularity);
    const stepMs = GRANULARITIES[granularity];
    const horizonMs = horizonOption ?? 5 * stepMs;
    const featureSet = createFeatureSet();
    // Rows of the shortest series once the features are warm (its first warmupCandles − 1 candles give none).
    const warmRows = Math.min(...training.series.map((one) => one.candles.length)) - (featureSet.warmupCandles - 1);
    const minTrainMs = minTrainOption ?? Math.max(20, Math.min(500, Math.floor(warmRows / (folds + 1)))) * stepMs;
    const products = training.series.map((one) => one.productId);
    const result = train({
      featureSet,
      featureNames: features.names,
      series: training.series,
      labeling: { horizonMs, buyThreshold, sellThreshold },
      model: { kind: kind === 'linear' ? 'linear' : 'gradient_boosted_trees' },
      modelId: `tradepipe-${products.join('+').toLowerCase()}-${granularity.toLowerCase()}`,
      feeRateBps: costBps,
      ...(folds === 0 ? {} : { walkForward: { folds, minTrainMs, ...(trainWindowMs === undefined ? {} : { trainWindowMs }) } }),
    });
    const outPath = resolve(io.cwd, out);
    await writeUserFile(outPath, result.onnx, 'model');
    const reportPath = stringOption(values, 'report');
    if (reportPath !== undefined) await writeUserFile(resolve(io.cwd, reportPath), `${JSON.stringify(result.report, null, 2)}\n`, 'training report');
    const walkForward = result.report.walkForward;
    if (flags.json) {
      io.stdout.write(`${JSON.stringify({ model: outPath, bytes: result.onnx.byteLength, products, granularity, horizonMs, features: features.names, report: result.report })}\n`);
      return EXIT_CODES.ok;
    }
    const range = result.report.trainingRange;
    const sharpe = (value: number | null | undefined): string => (value === null || value === undefined ? '—' : value.toFixed(2));
    const lines = [
      `trained ${kind} on ${products.join(' + ')} ${granularity}: ${result.report.labelledRows} labelled rows (${isoDay(range.fromMs)} … ${isoDay(range.toMs)}), labels BUY ${result.report.labelCounts.BUY}, SELL ${result.report.labelCounts.SELL}, HOLD ${result.report.labelCounts.HOLD}`,
      `horizon ${formatDuration(horizonMs)} (${horizonMs / stepMs} candles), thresholds ${buyThreshold} / ${sellThreshold}, ${features.names.length} features (${features.kind === 'chosen' ? features.names.slice(0, 3).join(', ') + (features.names.length > 3 ? ', …' : '') : features.kind})`,
      ...(walkForward === undefined
        ? []
        : [
            `walk-forward (${walkForward.folds.length} folds, first trained on ${formatDuration(minTrainMs)}, ${costBps} bps a trade): balanced accuracy ${walkForward.meanBalancedAccuracy.toFixed(4)} (chance ${walkForward.chanceBalancedAccuracy.toFixed(4)}), macro F1 ${walkForward.meanMacroF1.toFixed(4)}, strategy ${walkForward.compoundedStrategyReturn.toFixed(4)} vs buy-and-hold ${walkForward.compoundedBuyAndHoldReturn.toFixed(4)}, Sharpe ${sharpe(walkForward.strategySharpe)} vs ${sharpe(walkForward.buyAndHoldSharpe)}`,
          ]),
      `wrote ${outPath} (${result.onnx.byteLength} bytes)${reportPath === undefined ? '' : ` and ${resolve(io.cwd, reportPath)}`}`,
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return EXIT_CODES.ok;
  },
};
