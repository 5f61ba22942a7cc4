/**
 * @packageDocumentation
 * Trade validation through a local Ollama server, fail-closed: {@link OllamaTradeValidator} asks the model
 * for an APPROVE/REJECT with a structured-output verdict; {@link createRuleValidator} decides from
 * documented deterministic rules. The fake Ollama for tests is in `@tradepipe/llm-validator/testing`.
 */
export { OllamaTradeValidator, createOllamaTradeValidator, type OllamaValidatorDependencies } from './ollama-validator.js';
export { checkOllamaHealth, type OllamaHealth, type OllamaHealthOptions, type OllamaHealthReason } from './health.js';
export { OllamaValidatorOptionsSchema, type OllamaValidatorOptions, type OllamaValidatorOptionsInput } from './options.js';
export {
  VerdictSchema,
  RiskFlagSchema,
  RISK_FLAGS,
  DEFAULT_BLOCKING_RISK_FLAGS,
  verdictJsonSchema,
  findContradiction,
  type Verdict,
  type RiskFlag,
} from './verdict.js';
export { SYSTEM_PROMPT_VERSION, DEFAULT_SYSTEM_PROMPT, buildChatMessages, type ChatMessage } from './prompt.js';
export { buildMarketContext, type ContextPrices, type MarketContext, type MarketContextInput, type CandleSummary } from './market-context.js';
export {
  createRuleValidator,
  RuleValidatorOptionsSchema,
  RULE_SET_VERSION,
  type RuleValidatorOptions,
  type RuleValidatorOptionsInput,
} from './rule-validator.js';
export { withVerdictCache, type CachedTradeValidator, type VerdictCacheOptions } from './verdict-cache.js';
export type { ChatRequestBody } from './exchange.js';
export { OLLAMA_RESPONSE_LIMIT_BYTES } from './capped-body.js';
