import { PipelineTuningSchema, DefaultRecommendationPolicyOptionsSchema } from '@tradepipe/core';
import { CoinbaseClientOptionsSchema, CoinbaseOrderExecutorOptionsSchema, PaperExecutorOptionsSchema } from '@tradepipe/coinbase';
import { FeatureSetOptionsSchema } from '@tradepipe/features';
import { OllamaValidatorOptionsSchema, RuleValidatorOptionsSchema } from '@tradepipe/llm-validator';
import { ExitPolicyOptionsSchema, RiskLimitsSchema } from '@tradepipe/risk';
import { PgStoreOptionsSchema } from '@tradepipe/storage-pg';
import { envVariablesOf, readOptionsFromEnv, type EnvMapping } from './env-options.js';
import { serviceSettingsVariables } from './service-settings.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Each package's options schema and the environment variables it is read from. Fields set by the wiring
 * (connection strings, the live-trading opt-in, amounts from core's config) are omitted.
 */
export const PACKAGE_ENV = {
  pipeline: { schema: PipelineTuningSchema, mapping: { prefix: 'PIPELINE' } },
  policy: { schema: DefaultRecommendationPolicyOptionsSchema, mapping: { prefix: 'POLICY', omit: ['tradeQuoteAmount'] } },
  store: { schema: PgStoreOptionsSchema, mapping: { prefix: 'STORE', omit: ['connectionString'] } },
  features: { schema: FeatureSetOptionsSchema, mapping: { prefix: 'FEATURES' } },
  ollama: { schema: OllamaValidatorOptionsSchema, mapping: { prefix: 'OLLAMA' } },
  rules: { schema: RuleValidatorOptionsSchema, mapping: { prefix: 'RULES' } },
  riskLimits: { schema: RiskLimitsSchema, mapping: { prefix: 'RISK' } },
  exits: { schema: ExitPolicyOptionsSchema, mapping: { prefix: 'EXITS' } },
  paper: { schema: PaperExecutorOptionsSchema, mapping: { prefix: 'PAPER', omit: ['startingBalances'] } },
  coinbase: { schema: CoinbaseClientOptionsSchema, mapping: { prefix: 'COINBASE' } },
  coinbaseExecutor: { schema: CoinbaseOrderExecutorOptionsSchema, mapping: { prefix: 'EXECUTOR', omit: ['liveTrading'] } },
} as const satisfies Record<string, { schema: unknown; mapping: EnvMapping }>;

/** Defaults of the example for the risk limits the package leaves to the deployer (the seed trades $100). */
export const DEFAULT_RISK_LIMITS = {
  maxOrderQuote: 250,
  maxPositionQuote: 1_000,
  maxTotalExposureQuote: 2_500,
  maxPortfolioHeat: 0.25,
  maxDailyLossFraction: 0.05,
  maxOrdersPerHour: 20,
} as const;

/** Reads one package's options from the environment. @throws TradepipeError `config_invalid` */
export function readPackageOptions<K extends keyof typeof PACKAGE_ENV>(
  name: K,
  env: Env,
  defaults: Readonly<Record<string, unknown>> = {},
): ReturnType<(typeof PACKAGE_ENV)[K]['schema']['parse']> {
  const entry = PACKAGE_ENV[name];
  return readOptionsFromEnv(entry.schema, env, entry.mapping, defaults) as ReturnType<(typeof PACKAGE_ENV)[K]['schema']['parse']>;
}

/** Every variable the services read besides core's (`CONFIG_ENV_VARS`, `*_PORT`) and the CDP key, by group. */
export function serviceEnvironmentVariables(): Record<string, readonly string[]> {
  const groups: Record<string, readonly string[]> = { service: Object.values(serviceSettingsVariables()) };
  for (const [name, entry] of Object.entries(PACKAGE_ENV)) groups[name] = Object.values(envVariablesOf(entry.schema, entry.mapping));
  return groups;
}
