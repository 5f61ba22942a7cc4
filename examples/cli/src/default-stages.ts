import { resolve } from 'node:path';
import { TradepipeError, createHmacApprovalSigner, isTradepipeError, type BacktestContext, type BacktestStages, type Granularity, type SignalModel, type TradeValidator } from '@tradepipe/core';
import { PaperExecutor } from '@tradepipe/coinbase';
import { FEATURE_NAMES, FEATURE_SET_VERSION, createFeatureSet } from '@tradepipe/features';
import { createOllamaTradeValidator, createRuleValidator, withVerdictCache } from '@tradepipe/llm-validator';
import { OnnxSignalModel, loadDefaultModel } from '@tradepipe/model';
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
  'min-confidence': { type: 'string', value: '<p>', description: "the rule validator's minimum signal confidence (default 0.4)" },
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
  readonly describeValidator: string;
}

/** Reads the pipeline options. @throws UsageError */
export function readPipelineSettings(values: Values, io: CliIo): PipelineSettings {
  const modelPath = stringOption(values, 'model');
  const validator = choiceOption(values, 'validator', ['rules', 'ollama'], 'rules');
  return {
    startingUsd: numberOption(values, 'starting-usd', { min: 1 }) ?? 1_000,
    feeRateBps: numberOption(values, 'fee-bps', { min: 0, max: 1_000 }) ?? 120,
    slippageBps: numberOption(values, 'slippage-bps', { min: 0, max: 1_000 }) ?? 5,
    modelPath: modelPath === undefined ? undefined : resolve(io.cwd, modelPath),
    allowUntrainedMarkets: values['allow-untrained-markets'] === true,
    describeValidator: validator === 'rules' ? `rules (min confidence ${numberOption(values, 'min-confidence', { min: 0, max: 1 }) ?? 0.4})` : `ollama ${stringOption(values, 'ollama-model') ?? 'llama3.2'} (verdicts cached)`,
  };
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

function createValidator(values: Values, io: CliIo): TradeValidator {
  if (choiceOption(values, 'validator', ['rules', 'ollama'], 'rules') === 'rules') {
    return createRuleValidator({ name: 'rules', minConfidence: numberOption(values, 'min-confidence', { min: 0, max: 1 }) ?? 0.4 });
  }
  const ollama = createOllamaTradeValidator({ host: stringOption(values, 'ollama-host') ?? 'http://127.0.0.1:11434', model: stringOption(values, 'ollama-model') ?? 'llama3.2' });
  return withVerdictCache(ollama, { directory: resolve(io.cwd, stringOption(values, 'verdict-cache') ?? '.tradepipe/verdicts') });
}

/**
 * The default stages around a model: the 51 features, the chosen validator, the risk manager with exits and the
 * paper executor (next candle's open, slippage, fee). A new approval secret per run (risk and executor share it).
 */
export function defaultStages(input: { readonly values: Values; readonly io: CliIo; readonly settings: PipelineSettings; readonly model: SignalModel }): (context: BacktestContext) => BacktestStages {
  const validator = createValidator(input.values, input.io);
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
