import { resolve } from 'node:path';
import { TradepipeError, createHmacApprovalSigner, isTradepipeError, type BacktestContext, type BacktestStages, type Granularity, type SignalModel, type TradeValidator } from '@tradepipe/core';
import { PaperExecutor } from '@tradepipe/coinbase';
import { FEATURE_NAMES, FEATURE_SET_VERSION, createFeatureSet } from '@tradepipe/features';
import { createOllamaTradeValidator, createRuleValidator, withVerdictCache } from '@tradepipe/llm-validator';
import { OnnxSignalModel, loadDefaultModel, modelCardFigures } from '@tradepipe/model';
import { createExitPolicy, createRiskManager } from '@tradepipe/risk';
import { choiceOption, numberOption, stringOption } from './arguments.js';
import { UsageError } from './cli-errors.js';
import type { OptionSpec } from './command.js';
import type { CliIo } from './io.js';
import { readUserFile } from './user-files.js';

/** Options that choose the pipeline of `run`, `backtest` and `check lookahead`. */
export const PIPELINE_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  model: { type: 'string', value: '<file.onnx>', description: 'ONNX model (from `tradepipe train`); default the bundled BTC-USD daily model' },
  'allow-untrained-markets': { type: 'boolean', description: 'run the model on a product or granularity it was not trained on (refused by default)' },
  validator: { type: 'string', value: 'rules|ollama', description: 'validator: deterministic rules (default) or a real Ollama' },
  'min-confidence': { type: 'string', value: '<p>', description: "the rule validator's minimum signal confidence (default: the model card's walk-forward bar, else 0.4)" },
  'ollama-host': { type: 'string', value: '<url>', description: 'Ollama server (default http://127.0.0.1:11434)' },
  'ollama-model': { type: 'string', value: '<name>', description: 'Ollama model (default llama3.2)' },
  'verdict-cache': { type: 'string', value: '<dir>', description: 'keep Ollama verdicts on disk: a re-run is identical and asks no LLM (default .tradepipe/verdicts)' },
  'starting-usd': { type: 'string', value: '<usd>', description: 'paper account at the start (default 1000)' },
  'fee-bps': { type: 'string', value: '<bps>', description: 'paper taker fee in basis points (default 120, the Coinbase entry tier)' },
  'slippage-bps': { type: 'string', value: '<bps>', description: 'paper slippage in basis points (default 5)' },
};

type Values = Readonly<Record<string, string | boolean | undefined>>;

/** The settings of the default pipeline, read from the command line. */
export interface PipelineSettings {
  readonly startingUsd: number;
  readonly feeRateBps: number;
  readonly slippageBps: number;
  readonly modelPath: string | undefined;
  /** `--allow-untrained-markets`: load the model for a product or granularity it was not trained on. */
  readonly allowUntrainedMarkets: boolean;
  /** `--min-confidence`, when given (else the model card's walk-forward bar: see {@link ruleValidatorBar}). */
  readonly minConfidence: number | undefined;
  /** The validator chosen, as the run describes it (the rule validator's bar once the model is loaded: see {@link describeValidator}). */
  readonly validator: 'rules' | 'ollama';
  /** The Ollama model, for the description. */
  readonly ollamaModel: string;
}

/**
 * The largest `--starting-usd` ($1 trillion): the balance is handed to the paper executor as decimal text, and a
 * number of 1e21 or more would print as `1e+21`, which no decimal takes.
 */
const MAX_STARTING_USD = 1e12;

/** Reads the pipeline options. @throws UsageError */
export function readPipelineSettings(values: Values, io: CliIo): PipelineSettings {
  const modelPath = stringOption(values, 'model');
  const validator = choiceOption(values, 'validator', ['rules', 'ollama'], 'rules');
  return {
    startingUsd: numberOption(values, 'starting-usd', { min: 1, max: MAX_STARTING_USD }) ?? 1_000,
    feeRateBps: numberOption(values, 'fee-bps', { min: 0, max: 1_000 }) ?? 120,
    slippageBps: numberOption(values, 'slippage-bps', { min: 0, max: 1_000 }) ?? 5,
    modelPath: modelPath === undefined ? undefined : resolve(io.cwd, modelPath),
    allowUntrainedMarkets: values['allow-untrained-markets'] === true,
    minConfidence: numberOption(values, 'min-confidence', { min: 0, max: 1 }),
    validator,
    ollamaModel: stringOption(values, 'ollama-model') ?? 'llama3.2',
  };
}

/** The rule validator's bar when `--min-confidence` is not given, without a model card's. */
const DEFAULT_MIN_CONFIDENCE = 0.4;

/**
 * The rule validator's minimum confidence: `--min-confidence`, else the bar the model's training chose from
 * walk-forward data (its card's `walkForward.validatorMinConfidence`, never from data it is tested on), else 0.4.
 * The bundled model's card gives the bar `npm start` uses, so `tradepipe run` and the main job decide alike.
 */
export function ruleValidatorBar(settings: Pick<PipelineSettings, 'minConfidence'>, model: SignalModel): { readonly minConfidence: number; readonly source: 'option' | 'model card' | 'default' } {
  if (settings.minConfidence !== undefined) return { minConfidence: settings.minConfidence, source: 'option' };
  const fromCard = model instanceof OnnxSignalModel ? modelCardFigures(model.metadata).walkForward?.validatorMinConfidence : undefined;
  return fromCard === undefined ? { minConfidence: DEFAULT_MIN_CONFIDENCE, source: 'default' } : { minConfidence: fromCard, source: 'model card' };
}

/** The validator as a run's header describes it, e.g. `rules (min confidence 0.41, the model card's walk-forward bar)`. */
export function describeValidator(settings: PipelineSettings, model: SignalModel): string {
  if (settings.validator === 'ollama') return `ollama ${settings.ollamaModel} (verdicts cached)`;
  const bar = ruleValidatorBar(settings, model);
  return `rules (min confidence ${bar.minConfidence}${bar.source === 'model card' ? ", the model card's walk-forward bar" : ''})`;
}

/**
 * Loads the model: the file given, or the bundled default (daily candles only). A model not trained on the product
 * or granularity is refused at load (`model_mismatch`), not left to refuse every vector of the run, unless
 * `--allow-untrained-markets` was given.
 */
export async function loadModel(settings: PipelineSettings, market: { readonly productId: string; readonly granularity: Granularity }): Promise<SignalModel> {
  const { granularity } = market;
  const expected = { expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION, expectedGranularity: granularity, productIds: [market.productId], allowUntrainedMarkets: settings.allowUntrainedMarkets };
  try {
    if (settings.modelPath !== undefined) return await OnnxSignalModel.load({ ...expected, bytes: await readUserFile(settings.modelPath, 'model') });
    if (granularity !== 'ONE_DAY') throw new UsageError(`the bundled model reads daily candles: train one for ${granularity} with 'tradepipe train' and pass --model`);
    return await loadDefaultModel(expected);
  } catch (error) {
    // The model package names its API option; on the command line it is a flag.
    if (!isTradepipeError(error) || error.code !== 'model_mismatch' || !error.message.includes('allowUntrainedMarkets: true')) throw error;
    throw new TradepipeError('model_mismatch', error.message.replace('pass allowUntrainedMarkets: true', 'pass --allow-untrained-markets'), { cause: error, details: error.details });
  }
}

function createValidator(values: Values, io: CliIo, settings: PipelineSettings, model: SignalModel): TradeValidator {
  if (settings.validator === 'rules') return createRuleValidator({ name: 'rules', minConfidence: ruleValidatorBar(settings, model).minConfidence });
  const ollama = createOllamaTradeValidator({ host: stringOption(values, 'ollama-host') ?? 'http://127.0.0.1:11434', model: stringOption(values, 'ollama-model') ?? 'llama3.2' });
  return withVerdictCache(ollama, { directory: resolve(io.cwd, stringOption(values, 'verdict-cache') ?? '.tradepipe/verdicts') });
}

/**
 * The default stages around a model: the 51 features, the chosen validator, the risk manager with exits and the
 * paper executor (next candle's open, slippage, fee). A new approval secret per run (risk and executor share it).
 */
export function defaultStages(input: { readonly values: Values; readonly io: CliIo; readonly settings: PipelineSettings; readonly model: SignalModel }): (context: BacktestContext) => BacktestStages {
  const validator = createValidator(input.values, input.io, input.settings, input.model);
  return () => {
    const signer = createHmacApprovalSigner({ keyId: 'cli', secret: 'tradepipe-cli-paper-approvals-0123456789' });
    return {
      features: createFeatureSet(),
      model: input.model,
      validator,
      risk: createRiskManager({
        signer,
        approvalTtlMs: 5 * 60_000,
        limits: { maxOrderQuote: 100, maxPositionQuote: 600, maxTotalExposureQuote: 600, maxPortfolioHeat: 0.5, maxDailyLossFraction: 0.05, maxOrdersPerHour: 10 },
      }),
      exits: createExitPolicy({ stopLossAtr: 2, takeProfitAtr: 4, trailingStopAtr: 3, recommendationTtlMs: 10 * 60_000 }),
      executor: new PaperExecutor({ approvalSigner: signer, slippageBps: input.settings.slippageBps, takerFeeRateBps: input.settings.feeRateBps }),
    };
  };
}
