/**
 * @packageDocumentation
 * Risk management for tradepipe: realised volatility, portfolio heat, a risk score, volatility-targeted
 * sizing, limits kept in the store (so no restart or replica can bypass them), signed single-use approvals,
 * and ATR-based exits.
 */
export { createRiskManager, type RiskManagerOptions } from './risk-manager.js';
export { RiskLimitsSchema, parseRiskLimits, dailyLossLimitQuote, type RiskLimits, type RiskLimitsInput } from './limits.js';
export { decideRisk, type RiskInputs, type RiskDecisionDraft, type RiskReason, type ProductExposure } from './decide.js';
export {
  realizedVolatility,
  logReturns,
  annualizationFactor,
  volatilityWindowBars,
  MIN_VOLATILITY_WINDOW_BARS,
  TRADING_DAYS_PER_YEAR,
} from './volatility.js';
export { portfolioHeat, heatContribution, MAX_RECORDED_HEAT, type HeatExposure } from './heat.js';
export {
  riskScore,
  RiskScoreWeightsSchema,
  DEFAULT_RISK_SCORE_WEIGHTS,
  type RiskScoreWeights,
  type RiskScoreInputs,
  type RiskScoreResult,
} from './score.js';
export { adjustedAmount, capAmount, type SizingInputs, type SizingResult, type SizeCap } from './sizing.js';
export { averageTrueRange } from './atr.js';
export {
  evaluateExitRules,
  ExitPolicyOptionsSchema,
  type ExitPolicyOptions,
  type ExitPolicyOptionsInput,
  type ExitTrigger,
  type ExitRuleInput,
} from './exit-rules.js';
export { createExitPolicy, EXIT_STAGE } from './exit-policy.js';
export { engageKillSwitch, releaseKillSwitch } from './kill-switch.js';
