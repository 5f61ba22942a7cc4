import { TradepipeError, type BacktestOptions } from '@tradepipe/core';
import { WARMUP_CANDLES } from '@tradepipe/features';
import { dateOption, isoDay } from './arguments.js';
import { BUNDLED_HOLD_OUT_START_MS } from './bundled-data.js';
import { CANDLE_OPTIONS, loadCandleInput, type CandleInput } from './candle-input.js';
import type { OptionSpec } from './command.js';
import { PIPELINE_OPTIONS, defaultStages, describeValidator, loadModel, readPipelineSettings, type PipelineSettings } from './default-stages.js';
import type { CliIo, GlobalFlags } from './io.js';
import { productFor } from './products.js';

/** Options of every command that replays the pipeline (`run`, `backtest`, `check lookahead`). */
export const RUN_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  ...CANDLE_OPTIONS,
  from: { type: 'string', value: '<date>', description: 'first candle to trade; earlier candles only warm the features (default: the bundled hold-out 2024-09-25, else after the warm-up)' },
  to: { type: 'string', value: '<date>', description: 'candles starting at or after this are left out (default: none)' },
  ...PIPELINE_OPTIONS,
};

/** A run ready to start: the backtest's options and what to say about it. */
export interface PreparedRun {
  readonly options: BacktestOptions;
  readonly input: CandleInput;
  readonly settings: PipelineSettings;
  /** `model <id> <version>`. */
  readonly modelName: string;
  /** The validator and its bar, e.g. `rules (min confidence 0.41, the model card's walk-forward bar)`. */
  readonly validatorName: string;
}

/** Reads the candles, the range and the pipeline options into a backtest's options. @throws UsageError, TradepipeError */
export async function prepareRun(values: Readonly<Record<string, string | boolean | undefined>>, io: CliIo, flags: GlobalFlags): Promise<PreparedRun> {
  const settings = readPipelineSettings(values, io);
  const fromOption = dateOption(values, 'from');
  const toMs = dateOption(values, 'to');
  const input = await loadCandleInput(values, io, flags, fromOption ?? Date.UTC(2024, 0, 1));
  const afterWarmup = input.candles[Math.min(WARMUP_CANDLES, input.candles.length - 1)]!.startMs;
  const tradeFromMs = fromOption ?? (input.bundled ? BUNDLED_HOLD_OUT_START_MS : afterWarmup);
  if (toMs !== undefined && toMs <= tradeFromMs) throw new TradepipeError('validation_failed', `--to ${isoDay(toMs)} is not after the first traded candle ${isoDay(tradeFromMs)}`);
  const model = await loadModel(settings, input);
  return {
    input,
    settings,
    modelName: `model ${model.modelId} ${model.modelVersion}`,
    validatorName: describeValidator(settings, model),
    options: {
      candles: input.candles,
      tradeFromMs,
      ...(toMs === undefined ? {} : { tradeToMs: toMs }),
      products: [productFor(input.productId)],
      startingBalances: { [productFor(input.productId).quoteCurrency]: String(settings.startingUsd) },
      pipelineId: `cli-${input.productId.toLowerCase()}-${input.granularity.toLowerCase()}`,
      createStages: defaultStages({ values, io, settings, model }),
      signal: io.signal,
    },
  };
}
