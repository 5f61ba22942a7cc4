import {
  TradepipeError,
  clientOrderIdFor,
  decimal,
  decimalFromNumber,
  isZeroDecimal,
  parseWith,
  toApproxNumber,
  type DecimalString,
  recordId,
  signRiskApproval,
  silentLogger,
  type ApprovalSigner,
  type ExposureReservation,
  type Logger,
  type RiskApproval,
  type RiskAssessment,
  type RiskDecisionResult,
  type RiskManager,
  type StageContext,
  type TradeRecommendation,
} from '@tradepipe/core';
import { z } from 'zod';
import { decideRisk, type RiskDecisionDraft, type RiskReason } from './decide.js';
import { gatherRiskInputs, type GatheredInputs } from './risk-inputs.js';
import { RiskLimitsSchema, type RiskLimits, type RiskLimitsInput } from './limits.js';
import { createVolatilityReader } from './volatility-reader.js';

/** Options of {@link createRiskManager}. */
export interface RiskManagerOptions {
  /** The limits; validated with {@link RiskLimitsSchema} at creation. */
  readonly limits: RiskLimitsInput;
  /** Signs approvals (HMAC or Ed25519 from core). */
  readonly signer: ApprovalSigner;
  /** How long an approval (and its exposure reservation) lives; also never past the recommendation's expiry. */
  readonly approvalTtlMs: number;
  /** Keep complete volatility windows between assessments (default true). */
  readonly cacheVolatility?: boolean;
  /** Times an assessment is redone when the store refuses its reservation (another replica took the room). Default 2. */
  readonly reservationAttempts?: number;
  /** Logger for decisions (defaults to the context's). */
  readonly logger?: Logger;
  /** Stage name (default `risk`). */
  readonly name?: string;
}

const OptionsSchema = z.object({
  approvalTtlMs: z.number().int().positive(),
  reservationAttempts: z.number().int().min(1).max(10).default(2),
});

/**
 * Creates the risk manager: for each recommendation it reads positions, balances, reservations, candles up
 * to the decision time and the shared risk state from `context.store`, decides (see `decideRisk`) and records
 * the assessment; on APPROVE it signs a single-use approval and records it with its exposure reservation in
 * one store transaction, which re-checks the exposure limits against every other reservation. If the store
 * refuses (another replica took the room), the assessment is redone on fresh state, then recorded as a REJECT.
 * A recommendation assessed before gets its recorded decision back (`existing`).
 * @returns a {@link RiskManager}
 * @throws TradepipeError `validation_failed` if the limits or options do not parse (at creation);
 * `assess` throws the store's errors (`storage_unavailable`, …) and `aborted`.
 * @example
 * const risk = createRiskManager({
 *   limits: { maxOrderQuote: 500, maxPositionQuote: 2_000, maxTotalExposureQuote: 5_000, maxPortfolioHeat: 0.25,
 *     maxDailyLossFraction: 0.05, maxOrdersPerHour: 20 },
 *   signer: createHmacApprovalSigner({ keyId: 'risk-1', secret }),
 *   approvalTtlMs: 60_000,
 * });
 * const result = await risk.assess(recommendation, context);
 */
export function createRiskManager(options: RiskManagerOptions): RiskManager {
  const limits = parseWith(RiskLimitsSchema, options.limits, 'risk limits');
  const parsed = parseWith(OptionsSchema, { approvalTtlMs: options.approvalTtlMs, reservationAttempts: options.reservationAttempts }, 'risk manager options');
  const reader = createVolatilityReader({ windowDays: limits.volatilityWindowDays, minReturns: limits.minVolatilityReturns, cache: options.cacheVolatility ?? true });
  const name = options.name ?? 'risk';
  return {
    name,
    async assess(recommendation, context) {
      throwIfAborted(context.signal);
      const logger = options.logger ?? context.logger ?? silentLogger;
      const { store } = context;
      const existing = await store.getRiskAssessment(recommendation.id);
      if (existing !== undefined) {
        const approval = await store.getApproval(recommendation.id);
        return { status: 'existing', assessment: existing, ...(approval === undefined ? {} : { approval }) };
      }
      const nowMs = context.clock.nowMs();
      let refused: TradepipeError | undefined;
      for (let attempt = 1; attempt <= parsed.reservationAttempts; attempt += 1) {
        throwIfAborted(context.signal);
        const gathered = await gatherRiskInputs(store, recommendation, { nowMs, limits, reader });
        const draft = decideRisk(gathered.inputs, limits);
        await applySideEffects(context, gathered, draft, limits, nowMs);
        if (draft.decision === 'REJECT') return record(context, toAssessment(recommendation, draft, limits, nowMs), logger);
        try {
          return await recordApproval(context, recommendation, draft, gathered, { limits, signer: options.signer, ttlMs: parsed.approvalTtlMs, nowMs }, logger);
        } catch (error) {
          if (!(error instanceof TradepipeError) || error.code !== 'exposure_limit_exceeded') throw error;
          refused = error;
          logger.warn('risk reservation refused by the store', { recommendationId: recommendation.id, attempt });
        }
      }
      const gathered = await gatherRiskInputs(store, recommendation, { nowMs, limits, reader });
      const draft = decideRisk(gathered.inputs, limits);
      const reason = refusedReason(recommendation, refused);
      const rejected: RiskDecisionDraft = { ...draft, decision: 'REJECT', reasons: [reason], adjustedQuoteAmount: decimal('0'), portfolioHeatAfter: draft.portfolioHeat };
      return record(context, toAssessment(recommendation, rejected, limits, nowMs), logger);
    },
  };
}

async function applySideEffects(context: StageContext, gathered: GatheredInputs, draft: RiskDecisionDraft, limits: RiskLimits, nowMs: number): Promise<void> {
  if (gathered.recordDayStart) await context.store.recordEquity({ atMs: nowMs, equityQuote: gathered.inputs.equityQuote });
  if (draft.startCooldown) {
    const current = await context.store.getRiskState();
    const until = Math.max(current.cooldownUntilMs ?? 0, nowMs + limits.cooldownMs);
    await context.store.updateRiskState({ cooldownUntilMs: until, updatedAtMs: nowMs });
    context.logger.warn('daily loss limit reached: cooldown started', { cooldownUntilMs: until, dailyPnlQuote: draft.dailyPnlQuote });
  }
}

async function recordApproval(
  context: StageContext,
  recommendation: TradeRecommendation,
  draft: RiskDecisionDraft,
  gathered: GatheredInputs,
  settings: { limits: RiskLimits; signer: ApprovalSigner; ttlMs: number; nowMs: number },
  logger: Logger,
): Promise<RiskDecisionResult> {
  const { limits, signer, nowMs } = settings;
  const expiresAtMs = Math.min(nowMs + settings.ttlMs, recommendation.expiresAtMs);
  const isBuy = recommendation.side === 'BUY';
  const approval: RiskApproval = signRiskApproval(signer, {
    id: recordId('approval', [recommendation.id]),
    recommendationId: recommendation.id,
    clientOrderId: clientOrderIdFor(recommendation.id),
    productId: recommendation.productId,
    side: recommendation.side,
    ...(isBuy ? { maxQuoteAmount: draft.adjustedQuoteAmount } : { maxBaseSize: draft.adjustedBaseSize ?? decimal('0') }),
    issuedAtMs: nowMs,
    expiresAtMs,
  });
  const baseIncrement = gathered.inputs.product?.baseIncrement ?? decimal('0.00000001');
  const reservation: ExposureReservation = {
    approvalId: approval.id,
    productId: recommendation.productId,
    side: recommendation.side,
    quoteAmount: draft.adjustedQuoteAmount,
    baseSize: isBuy ? estimateBase(draft, baseIncrement) : (draft.adjustedBaseSize ?? decimal('0')),
    reservedAtMs: nowMs,
    expiresAtMs,
  };
  const result = await context.store.recordRiskDecision({
    assessment: toAssessment(recommendation, draft, limits, nowMs),
    approval,
    reservation,
    // The store re-checks, inside the transaction that records the approval, every limit another replica could
    // race for: exposure, per-product exposure, portfolio heat after this trade, and the hourly order count.
    limits: isBuy
      ? {
          maxTotalExposureQuote: limits.maxTotalExposureQuote,
          maxProductExposureQuote: limits.maxPositionQuote,
          maxPortfolioHeat: {
            limit: limits.maxPortfolioHeat,
            equityQuote: gathered.inputs.equityQuote,
            volatilities: volatilitiesOf(gathered, recommendation.productId, draft.volatilityAnnualized),
            fallbackVolatility: limits.fallbackVolatilityAnnualized,
          },
          maxOrders: { limit: limits.maxOrdersPerHour, sinceMs: nowMs - 3_600_000 },
        }
      : {},
    markPrices: gathered.markPrices,
  });
  logDecision(logger, result);
  return result;
}

/** Annualised volatility by product as the decision used it: held products' readings and the traded one's. */
function volatilitiesOf(gathered: GatheredInputs, productId: string, tradedVolatility: number): Record<string, number> {
  const volatilities: Record<string, number> = {};
  for (const item of gathered.inputs.exposures) volatilities[item.productId] = item.volatilityAnnualized;
  volatilities[productId] = tradedVolatility;
  return volatilities;
}

async function record(context: StageContext, assessment: RiskAssessment, logger: Logger): Promise<RiskDecisionResult> {
  const result = await context.store.recordRiskDecision({ assessment });
  logDecision(logger, result);
  return result;
}

function logDecision(logger: Logger, result: RiskDecisionResult): void {
  const { assessment } = result;
  logger.info('risk assessed', {
    recommendationId: assessment.recommendationId,
    status: result.status,
    decision: assessment.decision,
    codes: assessment.reasons.map((reason) => reason.code).join(','),
    adjustedQuoteAmount: assessment.adjustedQuoteAmount,
  });
}

function estimateBase(draft: RiskDecisionDraft, baseIncrement: DecimalString): DecimalString {
  const increment = isZeroDecimal(baseIncrement) ? decimal('0.00000001') : baseIncrement;
  return decimalFromNumber(toApproxNumber(draft.adjustedQuoteAmount) / draft.markPrice, increment);
}

function refusedReason(recommendation: TradeRecommendation, error: TradepipeError | undefined): RiskReason {
  if (recommendation.side === 'SELL') return { code: 'nothing_held', message: 'The store refused the sell: it exceeds the position left after pending sells' };
  const named = error?.details.limit;
  const codes = ['max_position', 'max_total_exposure', 'max_portfolio_heat', 'max_orders_per_hour'] as const;
  const code = codes.find((candidate) => candidate === named) ?? 'max_total_exposure';
  return { code, message: `The store refused the reservation: ${code} (another approval took the room)` };
}

/**
 * Turns a decision draft into the recorded assessment.
 * @internal
 */
export function toAssessment(recommendation: TradeRecommendation, draft: RiskDecisionDraft, limits: RiskLimits, nowMs: number): RiskAssessment {
  return {
    id: recordId('assessment', [recommendation.id]),
    recommendationId: recommendation.id,
    productId: recommendation.productId,
    side: recommendation.side,
    decision: draft.decision,
    reasons: draft.reasons.map((reason) => ({ code: reason.code, message: reason.message.slice(0, 1000) })),
    volatilityAnnualized: draft.volatilityAnnualized,
    volatilityWindowDays: limits.volatilityWindowDays,
    portfolioHeat: draft.portfolioHeat,
    portfolioHeatAfter: draft.portfolioHeatAfter,
    riskScore: draft.riskScore,
    requestedQuoteAmount: recommendation.quoteAmount,
    adjustedQuoteAmount: draft.adjustedQuoteAmount,
    ...(draft.adjustedBaseSize === undefined ? {} : { adjustedBaseSize: draft.adjustedBaseSize }),
    equityQuote: draft.equityQuote,
    exposureQuote: draft.exposureQuote,
    dailyPnlQuote: draft.dailyPnlQuote,
    markPrice: draft.markPrice,
    lastCandleStartMs: draft.lastCandleStartMs,
    figures: { ...draft.figures },
    assessedAtMs: nowMs,
  };
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new TradepipeError('aborted', 'The risk assessment was aborted', { cause: signal.reason });
}
