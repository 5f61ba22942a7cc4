import { resolve } from 'node:path';
import { createHmacApprovalSigner, type BacktestContext, type BacktestStages, type Granularity, type SignalModel, type TradeValidator } from '@tradepipe/core';
import { PaperExecutor } from '@tradepipe/coinbase';
import { FEATURE_NAMES, FEATURE_SET_VERSION, createFeatureSet } from '@tradepipe/features';
import { createOllamaTradeValidator, createRuleValidator, withVerdictCache } from '@tradepipe/llm-validator';
import { OnnxSignalModel, loadDefaultModel } from '@tradepipe/model';
import { createExitPolicy, createRiskManager } from '@tradepipe/risk';
import { choiceOption, numberOption, stringOption } from './arguments.js';
import { UsageError } from './cli-errors.js';
import type { OptionSpec } from './command.js';
import type { CliIo } from './io.js';

/** Options that choose the pipeline of `run`, `backtest` and `check lookahead`. */
export const PIPELINE_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  model: { type: 'string', value: '<file.onnx>', description: 'ONNX model (from `tradepipe train`); default the bundled BTC-USD daily model' },
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
    describeValidator: validator === 'rules' ? `rules (min confidence ${numberOption(values, 'min-confidence', { min: 0, max: 1 }) ?? 0.4})` : `ollama ${stringOption(values, 'ollama-model') ?? 'llama3.2'} (verdicts cached)`,
  };
}

/** Loads the model: the file given, or the bundled default (daily candles only). */
export async function loadModel(settings: PipelineSettings, granularity: Granularity): Promise<SignalModel> {
  const expected = { expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION, expectedGranularity: granularity };
  if (settings.modelPath !== undefined) return OnnxSignalModel.load({ ...expected, path: settings.modelPath });
  if (granularity !== 'ONE_DAY') throw new UsageError(`the bundled model reads daily candles: train one for ${granularity} with 'tradepipe train' and pass --model`);
  return loadDefaultModel(expected);
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
