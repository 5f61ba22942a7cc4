import { GRANULARITIES } from '@tradepipe/core';
import { analyzeWarmup, candleColumns, createFeatureSet } from '@tradepipe/features';
import { granularityOption, numberOption, stringOption } from '../arguments.js';
import { CANDLE_OPTIONS, loadCandleInput } from '../candle-input.js';
import { EXIT_CODES, UsageError } from '../cli-errors.js';
import type { Command } from '../command.js';
import { warmupNeeds, type WarmupNeeds } from '../warmup-needs.js';

/** What `check warmup --json` prints. */
export interface CheckWarmupOutput extends WarmupNeeds {
  /** Where the candles came from. */
  readonly source: string;
  /** The product measured. */
  readonly productId: string;
  /** The candle size measured. */
  readonly granularity: string;
  /** Candles in the series (gaps filled). */
  readonly candles: number;
  /** End candles t sampled. */
  readonly samples: number;
  /** The warm-up the feature set declares. */
  readonly declaredWarmupCandles: number;
}

const DEFAULT_LENGTHS = [100, 200, 300, 400, 500, 600, 800, 900, 1_000];

/** `tradepipe check warmup`. */
export const checkWarmupCommand: Command = {
  name: 'check warmup',
  summary: 'measure how much history the features need before their values settle',
  description: [
    "The warm-up check (Freqtrade's recursive analysis), on the candles given: for each of the 51 features, the",
    'largest change of its value at t, |a − b| / max(1, |b|), when the engine sees only the last L candles up to t',
    'instead of the whole series before t (b), over --samples end candles t and several history lengths L. A feature',
    'needs the shortest L from which it and every longer L stay below --tolerance; the set needs the largest of',
    "those. Windowed features settle once their window is full; recursive ones (EMA, Wilder) decay with L. The",
    'warm-up judged is the one the feature set declares, or --warmup. Exit code 3 when it is shorter than needed',
    '(or some feature needs more than the longest L measured).',
  ].join('\n'),
  options: {
    ...CANDLE_OPTIONS,
    warmup: { type: 'string', value: '<candles>', description: 'the warm-up to judge (default the feature set\'s declared one, 700)' },
    tolerance: { type: 'string', value: '<x>', description: 'largest change allowed (default 1e-9)' },
    history: { type: 'string', value: '<n,n,…>', description: 'history lengths L to measure, each ≥ 61 (default 100 … 1000 by 100; the warm-up judged is always added)' },
    samples: { type: 'string', value: '<n>', description: 'end candles t, spread over the series (default 40)' },
  },
  examples: ['tradepipe check warmup', 'tradepipe check warmup --warmup 300 --json', 'tradepipe check warmup --candles btc-usd-1h.csv --granularity 1h --history 200,400,700,1400'],
  async run({ values, io, flags }) {
    const featureSet = createFeatureSet();
    const warmupCandles = numberOption(values, 'warmup', { min: 61, max: 100_000, integer: true }) ?? featureSet.warmupCandles;
    const tolerance = numberOption(values, 'tolerance', { min: 0, exponent: true }) ?? 1e-9;
    if (tolerance === 0) throw new UsageError('--tolerance must be above 0', 'check warmup');
    const samples = numberOption(values, 'samples', { min: 1, max: 10_000, integer: true }) ?? 40;
    const historyText = stringOption(values, 'history');
    const given = historyText === undefined ? DEFAULT_LENGTHS : historyText.split(',').map((text) => numberOption({ history: text.trim() }, 'history', { min: 61, max: 100_000, integer: true })!);
    const historyCandles = [...new Set([...given, warmupCandles])].sort((a, b) => a - b);
    const longest = historyCandles.at(-1)!;
    // A download (--source coinbase) fetches three times the longest history, not years of minutes.
    const downloadFromMs = Date.now() - 3 * longest * GRANULARITIES[granularityOption(values, 'granularity', 'ONE_DAY')];
    const input = await loadCandleInput(values, io, flags, downloadFromMs);
    if (input.candles.length < longest + 2) {
      throw new UsageError(`the series has ${input.candles.length} candles: measuring a history of ${longest} needs at least ${longest + 2}`, 'check warmup');
    }
    const candles = input.candles;
    const columns = candleColumns(candles);
    const analysis = analyzeWarmup({ columns, granularity: input.granularity, historyCandles, samples });
    const needs = warmupNeeds(analysis, tolerance, warmupCandles);
    const exitCode = needs.passed ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
    if (flags.json) {
      const output: CheckWarmupOutput = { source: input.source, productId: input.productId, granularity: input.granularity, candles: candles.length, samples: analysis.samples, declaredWarmupCandles: featureSet.warmupCandles, ...needs };
      io.stdout.write(`${JSON.stringify(output)}\n`);
      return exitCode;
    }
    io.stdout.write(`${formatWarmupTable(needs, { title: `check warmup — ${input.productId} ${input.granularity}, ${candles.length} candles (${input.source}), ${analysis.samples} sampled t` })}\n`);
    return exitCode;
  },
};

/** The table `check warmup` prints: the features that change at some length, their changes and needs, the verdict. */
export function formatWarmupTable(needs: WarmupNeeds, options: { readonly title: string }): string {
  const quiet = 1e-13;
  const needed = (candles: number | null): string => (candles === null ? `> ${needs.historyCandles.at(-1)}` : candles === needs.historyCandles[0] ? `≤ ${candles}` : String(candles));
  const moving = needs.features.filter((feature) => !feature.maxChange.every((change) => change < quiet));
  const lines = [
    options.title,
    `largest |change| / max(1, |value|) against the whole history, by history length L (candles); needs: the L from which it stays < ${needs.tolerance}`,
    ['  feature'.padEnd(28), ...needs.historyCandles.map((length) => String(length).padStart(8)), 'needs'.padStart(8)].join(' '),
    ...moving.map((feature) => [`  ${feature.name}`.padEnd(28), ...feature.maxChange.map((change) => change.toExponential(1).padStart(8)), needed(feature.neededCandles).padStart(8)].join(' ')),
    `  ${needs.features.length - moving.length} other features change by less than ${quiet} at every length (windowed: settled once their window is full)`,
    `  needed           ${needed(needs.neededCandles)} candles (resolution: the lengths measured)`,
    `  warm-up judged   ${needs.warmupCandles} candles`,
    needs.passed ? `  result           passed: ${needs.warmupCandles} ≥ ${needs.neededCandles}` : `  result           FAILED: the warm-up of ${needs.warmupCandles} candles is shorter than the ${needed(needs.neededCandles)} needed`,
  ];
  return lines.join('\n');
}
