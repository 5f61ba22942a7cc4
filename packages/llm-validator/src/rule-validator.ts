import { parseWith, recordId } from '@tradepipe/core';
import type { Candle, LlmValidation, StageContext, TradeValidator, ValidationInput } from '@tradepipe/core';
import { z } from 'zod';
import { failClosedValidation } from './fail-closed.js';
import type { RiskFlag } from './verdict.js';

/**
 * Version of the rule set, recorded as `promptVersion` of each rule validation. Bumped when a rule changes.
 * @example
 * validation.promptVersion === RULE_SET_VERSION; // for validations made by createRuleValidator
 */
export const RULE_SET_VERSION = 'rules/2026-11.1';

/**
 * zod schema of the rule validator's options. Every rule is deterministic and reads only the input:
 * 1. expired (`expiresAtMs <= now`): REJECT, failure `expired`;
 * 2. exit (origin `exit`, `approveExits`): APPROVE, reducing exposure is never blocked;
 * 3. minimum confidence: the signal's confidence must be at least `minConfidence`;
 * 4. enough data: at least `max(trendWindow, volatilityWindow + 1)` candles;
 * 5. fresh data: the newest candle starts at or after the recommendation's candle;
 * 6. trend agreement: a BUY needs the last close above the `trendWindow` simple moving average, a SELL below;
 * 7. volatility ceiling: the standard deviation of the last `volatilityWindow` close-to-close returns is at
 *    most `maxVolatility`;
 * 8. gaps: at most `maxGapFilledCandles` gap-filled candles in the last `trendWindow`.
 * APPROVE only when rules 3 to 8 all pass.
 * @example
 * const options = RuleValidatorOptionsSchema.parse({ minConfidence: 0.65 });
 */
export const RuleValidatorOptionsSchema = z
  .object({
    name: z.string().min(1).max(64).default('rules'),
    minConfidence: z.number().min(0).max(1).default(0.6),
    trendWindow: z.number().int().min(2).max(1000).default(20),
    requireTrendAgreement: z.boolean().default(true),
    volatilityWindow: z.number().int().min(2).max(1000).default(20),
    /** Largest standard deviation of per-candle returns (0.05 = 5 % per candle). */
    maxVolatility: z.number().positive().max(10).default(0.05),
    maxGapFilledCandles: z.number().int().min(0).default(1),
    approveExits: z.boolean().default(true),
  })
  .strict();

/** Rule validator options as given; see {@link RuleValidatorOptionsSchema}. */
export interface RuleValidatorOptionsInput extends z.input<typeof RuleValidatorOptionsSchema> {}

/** Rule validator options after defaults; see {@link RuleValidatorOptionsSchema}. */
export interface RuleValidatorOptions extends z.output<typeof RuleValidatorOptionsSchema> {}

interface RuleFinding {
  readonly passed: boolean;
  readonly reason: string;
  readonly flag?: RiskFlag;
}

const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

function standardDeviationOfReturns(candles: readonly Candle[]): number {
  const returns = candles.slice(1).map((candle, index) => candle.close / (candles[index] as Candle).close - 1);
  const average = mean(returns);
  return Math.sqrt(mean(returns.map((value) => (value - average) ** 2)));
}

function evaluateRules(input: ValidationInput, options: RuleValidatorOptions): RuleFinding[] {
  const { recommendation, recentCandles } = input;
  const findings: RuleFinding[] = [];
  const confidence = recommendation.origin.type === 'signal' ? recommendation.origin.confidence : 0;
  findings.push({
    passed: confidence >= options.minConfidence,
    reason: `confidence ${confidence.toFixed(3)} ${confidence >= options.minConfidence ? '>=' : '<'} minimum ${options.minConfidence}`,
    flag: 'low_model_confidence',
  });
  const needed = Math.max(options.trendWindow, options.volatilityWindow + 1);
  if (recentCandles.length < needed) {
    findings.push({ passed: false, reason: `${recentCandles.length} candles, ${needed} needed`, flag: 'insufficient_data' });
    return findings;
  }
  const last = recentCandles.at(-1) as Candle;
  const fresh = last.startMs >= recommendation.candleStartMs;
  findings.push({ passed: fresh, reason: fresh ? 'candles reach the decision candle' : 'the newest candle is older than the decision candle', flag: 'stale_data' });
  const trendCandles = recentCandles.slice(-options.trendWindow);
  if (options.requireTrendAgreement) {
    const average = mean(trendCandles.map((candle) => candle.close));
    const agrees = recommendation.side === 'BUY' ? last.close > average : last.close < average;
    findings.push({
      passed: agrees,
      reason: `${recommendation.side} with last close ${last.close} ${last.close > average ? 'above' : 'at or below'} SMA(${options.trendWindow}) ${Number(average.toPrecision(8))}`,
      flag: 'trend_disagreement',
    });
  }
  const volatility = standardDeviationOfReturns(recentCandles.slice(-(options.volatilityWindow + 1)));
  findings.push({
    passed: volatility <= options.maxVolatility,
    reason: `volatility ${(volatility * 100).toFixed(3)}% per candle, ceiling ${(options.maxVolatility * 100).toFixed(3)}%`,
    flag: 'extreme_volatility',
  });
  const gaps = trendCandles.filter((candle) => candle.gapFilled).length;
  findings.push({ passed: gaps <= options.maxGapFilledCandles, reason: `${gaps} gap-filled candles, at most ${options.maxGapFilledCandles}`, flag: 'data_gap' });
  return findings;
}

/**
 * Creates a deterministic {@link TradeValidator} from documented rules (see {@link RuleValidatorOptionsSchema}):
 * for embedded runs without an Ollama, and as a second opinion beside one. Never throws for a
 * recommendation; it records its rule set version as `promptVersion`.
 * @param options see {@link RuleValidatorOptionsSchema}
 * @returns the validator
 * @throws TradepipeError `validation_failed` if the options do not parse.
 * @example
 * const rules = createRuleValidator({ minConfidence: 0.65, maxVolatility: 0.03 });
 * const validation = await rules.validate(input, context);
 */
export function createRuleValidator(options: RuleValidatorOptionsInput = {}): TradeValidator {
  const parsed = parseWith(RuleValidatorOptionsSchema, options, 'rule validator options');
  return {
    name: parsed.name,
    async validate(input: ValidationInput, context: StageContext): Promise<LlmValidation> {
      const { recommendation } = input;
      const nowMs = context.clock.nowMs();
      if (recommendation.expiresAtMs <= nowMs) {
        return failClosedValidation(recommendation, parsed.name, 'expired', `the recommendation expired (expiresAtMs ${recommendation.expiresAtMs}, now ${nowMs})`, nowMs, {
          promptVersion: RULE_SET_VERSION,
        });
      }
      const base = { id: recordId('validation', [recommendation.id, parsed.name]), recommendationId: recommendation.id, validator: parsed.name };
      if (recommendation.origin.type === 'exit' && parsed.approveExits) {
        const reason = `exit rule ${recommendation.origin.rule}: reducing exposure is not blocked`;
        return { ...base, decision: 'APPROVE', reasons: [reason], riskFlags: [], promptVersion: RULE_SET_VERSION, validatedAtMs: nowMs };
      }
      const findings = evaluateRules(input, parsed);
      const failed = findings.filter((finding) => !finding.passed);
      return {
        ...base,
        decision: failed.length === 0 ? 'APPROVE' : 'REJECT',
        reasons: findings.map((finding) => `${finding.passed ? 'pass' : 'fail'}: ${finding.reason}`),
        ...(recommendation.origin.type === 'signal' ? { confidence: recommendation.origin.confidence } : {}),
        riskFlags: failed.flatMap((finding) => (finding.flag === undefined ? [] : [finding.flag])),
        promptVersion: RULE_SET_VERSION,
        validatedAtMs: nowMs,
      };
    },
  };
}
