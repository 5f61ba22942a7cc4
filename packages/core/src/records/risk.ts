import { z } from 'zod';
import { NonNegativeDecimalSchema } from '../decimal.js';
import { ProductIdSchema } from './market.js';
import { TradeSideSchema } from './trading.js';

const idSchema = z.string().min(1).max(128);
const timeMs = z.number().int().nonnegative();

/** Why risk refused (or shrank) a trade: one code per limit. */
export const RiskReasonCodeSchema = z.enum([
  'max_order_amount',
  'max_position',
  'max_total_exposure',
  'max_portfolio_heat',
  'max_daily_loss',
  'cooldown',
  'max_orders_per_hour',
  'min_order_size',
  'product_not_tradable',
  'stale_data',
  'kill_switch',
  'insufficient_data',
  'nothing_held',
  'insufficient_funds',
  'size_reduced',
  'approved',
]);

/** A risk reason code. */
export type RiskReasonCode = z.infer<typeof RiskReasonCodeSchema>;

/**
 * zod schema of a risk assessment: the decision on one recommendation with every figure it used
 * (volatility, heat, score, equity, exposure, amounts) and the reasons.
 */
export const RiskAssessmentSchema = z.object({
  id: idSchema,
  recommendationId: idSchema,
  productId: ProductIdSchema,
  side: TradeSideSchema,
  decision: z.enum(['APPROVE', 'REJECT']),
  reasons: z.array(z.object({ code: RiskReasonCodeSchema, message: z.string().max(1000) })).min(1),
  /** Annualised realised volatility of log returns over the window (e.g. 0.55 = 55 %/year). */
  volatilityAnnualized: z.number().finite().nonnegative(),
  volatilityWindowDays: z.number().positive(),
  /** Σ position notional × volatility / equity, before this trade. */
  portfolioHeat: z.number().finite().nonnegative(),
  /** The same after this trade, if approved. */
  portfolioHeatAfter: z.number().finite().nonnegative(),
  riskScore: z.number().min(0).max(1),
  requestedQuoteAmount: NonNegativeDecimalSchema,
  adjustedQuoteAmount: NonNegativeDecimalSchema,
  adjustedBaseSize: NonNegativeDecimalSchema.optional(),
  equityQuote: z.number().finite(),
  exposureQuote: z.number().finite().nonnegative(),
  dailyPnlQuote: z.number().finite(),
  markPrice: z.number().finite().positive(),
  lastCandleStartMs: timeMs,
  /** Any other figure the manager used, by name. */
  figures: z.record(z.string(), z.number().finite()).default({}),
  assessedAtMs: timeMs,
});

/** A risk assessment; see {@link RiskAssessmentSchema}. */
export interface RiskAssessment extends z.output<typeof RiskAssessmentSchema> {}

/** How a risk approval is signed. */
export const ApprovalAlgorithmSchema = z.enum(['HMAC-SHA256', 'Ed25519']);

/** How a risk approval is signed. */
export type ApprovalAlgorithm = z.infer<typeof ApprovalAlgorithmSchema>;

/**
 * zod schema of a risk approval: a signed, single-use permission to place exactly one order of at most
 * the given size. The executor verifies the signature and consumes it in the same transaction that
 * records the order intent.
 */
export const RiskApprovalSchema = z
  .object({
    id: idSchema,
    recommendationId: idSchema,
    clientOrderId: z.string().min(1).max(128),
    productId: ProductIdSchema,
    side: TradeSideSchema,
    /** BUY: the most quote currency the order may spend. */
    maxQuoteAmount: NonNegativeDecimalSchema.optional(),
    /** SELL: the most base currency the order may sell. */
    maxBaseSize: NonNegativeDecimalSchema.optional(),
    issuedAtMs: timeMs,
    expiresAtMs: timeMs,
    keyId: z.string().min(1).max(128),
    algorithm: ApprovalAlgorithmSchema,
    /** base64url signature over the canonical payload; see `approvalPayload`. */
    signature: z.string().min(16).max(512),
  })
  .refine((approval) => (approval.side === 'BUY' ? approval.maxQuoteAmount !== undefined : approval.maxBaseSize !== undefined), {
    message: 'a BUY approval needs maxQuoteAmount, a SELL approval maxBaseSize',
  });

/** A risk approval; see {@link RiskApprovalSchema}. */
export interface RiskApproval extends z.output<typeof RiskApprovalSchema> {}

/** The exposure an approval holds until its order ends: quote amount for a BUY, base size for a SELL. */
export const ExposureReservationSchema = z.object({
  approvalId: idSchema,
  productId: ProductIdSchema,
  side: TradeSideSchema,
  quoteAmount: NonNegativeDecimalSchema,
  baseSize: NonNegativeDecimalSchema,
  reservedAtMs: timeMs,
  expiresAtMs: timeMs,
});

/** An exposure reservation; see {@link ExposureReservationSchema}. */
export interface ExposureReservation extends z.output<typeof ExposureReservationSchema> {}

/** What the kill switch does while engaged: refuse new exposure only, or also close what is open. */
export const KillSwitchModeSchema = z.enum(['freeze', 'flatten']);

/** Kill switch mode. */
export type KillSwitchMode = z.infer<typeof KillSwitchModeSchema>;

/**
 * zod schema of the shared risk state, kept in the store so that a restart or a second replica can
 * neither reset nor bypass it.
 */
export const RiskStateSchema = z.object({
  killSwitch: z.object({
    engaged: z.boolean(),
    mode: KillSwitchModeSchema,
    /** Why the kill switch was last engaged or released (a release's reason replaces the engagement's). */
    reason: z.string().max(1000).optional(),
    changedAtMs: timeMs.optional(),
  }),
  /** Opening trades are refused until this instant (set after the daily loss limit is hit). */
  cooldownUntilMs: timeMs.optional(),
  updatedAtMs: timeMs,
});

/** The shared risk state. */
export interface RiskState extends z.output<typeof RiskStateSchema> {}
