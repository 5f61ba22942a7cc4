import {
  decimalFromNumber,
  decimal,
  floorToIncrement,
  isZeroDecimal,
  multiplyDecimal,
  parseWith,
  recordId,
  toApproxNumber,
  type DecimalString,
  type ExitPolicy,
  type TradeRecommendation,
} from '@tradepipe/core';
import { evaluateExitRules, ExitPolicyOptionsSchema, type ExitPolicyOptionsInput } from './exit-rules.js';

/**
 * The stage name of exit recommendations, part of their id.
 * @example
 * recordId('recommendation', [pipelineId, productId, granularity, candleStartMs, EXIT_STAGE]);
 */
export const EXIT_STAGE = 'exit';

/**
 * Creates the exit policy: per-position ATR stop-loss, take-profit and trailing stop, a maximum holding
 * time, and kill-switch flattening, evaluated on each closed candle. When a rule fires it returns a SELL
 * `reduce` recommendation (origin `exit` with the rule) of `exitFraction` of the position, rounded down to
 * the product's base increment, valid for `recommendationTtlMs`. Its id derives from
 * (pipeline, product, granularity, candle start, `exit`), so evaluating the same candle twice gives the same record.
 * @param options see {@link ExitPolicyOptionsSchema}
 * @returns an {@link ExitPolicy}
 * @throws TradepipeError `validation_failed` if the options do not parse.
 * @example
 * const exits = createExitPolicy({ stopLossAtr: 2, takeProfitAtr: 4, trailingStopAtr: 3, maxHoldingTimeMs: 7 * 86_400_000 });
 * const recommendation = exits.evaluate({ candle, position, product, recentCandles, riskState, pipelineId: 'demo', nowMs });
 */
export function createExitPolicy(options: ExitPolicyOptionsInput = {}): ExitPolicy {
  const parsed = parseWith(ExitPolicyOptionsSchema, options, 'exit policy options');
  const trailing = parsed.trailingStopAtr === null ? 0 : parsed.trailingLookbackCandles;
  return {
    name: 'atr-exits',
    lookbackCandles: Math.max(parsed.atrPeriod + 1, trailing),
    evaluate(input): TradeRecommendation | undefined {
      const trigger = evaluateExitRules(input, parsed);
      if (trigger === undefined) return undefined;
      const { candle, position, product, pipelineId, nowMs } = input;
      const baseIncrement = positive(product.baseIncrement);
      const fraction = decimalFromNumber(parsed.exitFraction, decimal('0.000001'));
      const baseSize = floorToIncrement(multiplyDecimal(position.sizeBase, fraction), baseIncrement);
      if (isZeroDecimal(baseSize)) return undefined;
      return {
        id: recordId('recommendation', [pipelineId, candle.productId, candle.granularity, candle.startMs, EXIT_STAGE]),
        pipelineId,
        productId: candle.productId,
        granularity: candle.granularity,
        candleStartMs: candle.startMs,
        side: 'SELL',
        intent: 'reduce',
        origin: { type: 'exit', rule: trigger.rule, detail: trigger.detail.slice(0, 500) },
        quoteAmount: decimalFromNumber(toApproxNumber(baseSize) * candle.close, positive(product.quoteIncrement)),
        baseSize,
        referencePrice: candle.close,
        createdAtMs: nowMs,
        expiresAtMs: nowMs + parsed.recommendationTtlMs,
      };
    },
  };
}

function positive(increment: DecimalString): DecimalString {
  return isZeroDecimal(increment) ? decimal('0.00000001') : increment;
}
