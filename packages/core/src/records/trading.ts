import { z } from 'zod';
import { NonNegativeDecimalSchema } from '../decimal.js';
import { GranularitySchema } from '../time.js';
import { FeatureVectorSchema, ProductIdSchema } from './market.js';

const idSchema = z.string().min(1).max(128);
const timeMs = z.number().int().nonnegative();
const probability = z.number().min(0).max(1);

/** What a signal tells: buy, sell or stay. */
export const SignalActionSchema = z.enum(['BUY', 'SELL', 'HOLD']);

/** A signal's action. */
export type SignalAction = z.infer<typeof SignalActionSchema>;

/**
 * zod schema of a trading signal (`trading_signals`): the model's verdict on one closed candle, with the
 * feature vector it came from. Its id derives from (pipeline, product, granularity, candle start).
 */
export const SignalSchema = z.object({
  id: idSchema,
  pipelineId: z.string().min(1),
  productId: ProductIdSchema,
  granularity: GranularitySchema,
  candleStartMs: timeMs,
  action: SignalActionSchema,
  /** Probability of the chosen class. */
  confidence: probability,
  /** Probability of each class, when the model gives them. */
  probabilities: z.object({ BUY: probability, SELL: probability, HOLD: probability }).optional(),
  modelId: z.string().min(1),
  modelVersion: z.string().min(1),
  /** The close of the candle the signal saw: the price reference for the recommendation, never a fill price. */
  closePrice: z.number().finite().positive(),
  features: FeatureVectorSchema,
  generatedAtMs: timeMs,
});

/** A trading signal; see {@link SignalSchema}. */
export interface Signal extends z.output<typeof SignalSchema> {}

/** Side of a trade. */
export const TradeSideSchema = z.enum(['BUY', 'SELL']);

/** Side of a trade. */
export type TradeSide = z.infer<typeof TradeSideSchema>;

/** Why a reduce recommendation was made without a signal. */
export const ExitRuleSchema = z.enum(['stop_loss', 'take_profit', 'trailing_stop', 'max_holding_time', 'kill_switch']);

/** An exit rule. */
export type ExitRule = z.infer<typeof ExitRuleSchema>;

/** Where a recommendation came from: a model signal or an exit rule. */
export const RecommendationOriginSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('signal'), signalId: idSchema, confidence: probability }),
  z.object({ type: z.literal('exit'), rule: ExitRuleSchema, detail: z.string().max(500).optional() }),
]);

/** Where a recommendation came from. */
export type RecommendationOrigin = z.infer<typeof RecommendationOriginSchema>;

/**
 * States of a recommendation as it moves through the stages. The state column is the queue: each stage
 * claims recommendations in the state it handles.
 */
export const RecommendationStateSchema = z.enum([
  'PENDING_VALIDATION',
  'PENDING_RISK',
  'PENDING_EXECUTION',
  'SUBMITTED',
  'EXECUTED',
  'REJECTED',
  'EXPIRED',
  'FAILED',
  'DEAD_LETTER',
  'DISCARDED',
]);

/** State of a recommendation. */
export type RecommendationState = z.infer<typeof RecommendationStateSchema>;

/** The states a recommendation never leaves. */
export const TERMINAL_RECOMMENDATION_STATES: readonly RecommendationState[] = ['EXECUTED', 'REJECTED', 'EXPIRED', 'FAILED', 'DEAD_LETTER', 'DISCARDED'];

/**
 * zod schema of a trade recommendation (`trade_recommendations`): an intent to BUY (open, a quote amount,
 * $100 by default) or SELL (reduce, a base size of what is held). Its id derives from (pipeline, product,
 * granularity, candle start, stage), never from amounts. States live in the store beside the record.
 */
export const TradeRecommendationSchema = z
  .object({
    id: idSchema,
    pipelineId: z.string().min(1),
    productId: ProductIdSchema,
    granularity: GranularitySchema,
    candleStartMs: timeMs,
    side: TradeSideSchema,
    intent: z.enum(['open', 'reduce']),
    origin: RecommendationOriginSchema,
    /** Amount in quote currency: what a BUY spends, or what a SELL is estimated to be worth. */
    quoteAmount: NonNegativeDecimalSchema,
    /** For a SELL: the base size to sell, rounded down to the product's increment. */
    baseSize: NonNegativeDecimalSchema.optional(),
    /** The price the recommendation was made at (the signal's close): a reference, never a fill. */
    referencePrice: z.number().finite().positive(),
    createdAtMs: timeMs,
    /** After this instant the recommendation is stale: it is expired, not validated or executed. */
    expiresAtMs: timeMs,
  })
  .refine((rec) => rec.side === 'BUY' || rec.baseSize !== undefined, { message: 'a SELL needs baseSize', path: ['baseSize'] })
  .refine((rec) => rec.expiresAtMs > rec.createdAtMs, { message: 'expiresAtMs must follow createdAtMs', path: ['expiresAtMs'] });

/** A trade recommendation; see {@link TradeRecommendationSchema}. */
export interface TradeRecommendation extends z.output<typeof TradeRecommendationSchema> {}

/** A validator's verdict. */
export const ValidationDecisionSchema = z.enum(['APPROVE', 'REJECT']);

/** A validator's verdict. */
export type ValidationDecision = z.infer<typeof ValidationDecisionSchema>;

/**
 * Why a validation ended in a REJECT that the validator did not decide on its merits. Kept apart so
 * operators can tell "the LLM said no" from "the LLM could not be asked".
 */
export const ValidationFailureKindSchema = z.enum([
  'model_not_found',
  'invalid_json',
  'schema_mismatch',
  'truncated',
  'contradiction',
  'retries_exhausted',
  'expired',
  'validator_error',
]);

/** Why a validation failed closed. */
export type ValidationFailureKind = z.infer<typeof ValidationFailureKindSchema>;

/**
 * zod schema of a validation (`llm_validation`): one validator's APPROVE/REJECT of one recommendation, with
 * reasons and, for LLM validators, the raw response, prompt version, model, token counts and latency.
 * Its id derives from (recommendation, validator name).
 */
export const LlmValidationSchema = z.object({
  id: idSchema,
  recommendationId: idSchema,
  validator: z.string().min(1),
  decision: ValidationDecisionSchema,
  reasons: z.array(z.string().max(2000)).max(50),
  confidence: probability.optional(),
  riskFlags: z.array(z.string().max(200)).max(50).default([]),
  failure: z.object({ kind: ValidationFailureKindSchema, message: z.string().max(2000) }).optional(),
  model: z.string().optional(),
  promptVersion: z.string().optional(),
  /** The server's answer as received (truncated to 64 KiB). */
  rawResponse: z.string().max(65_536).optional(),
  promptTokens: z.number().int().nonnegative().optional(),
  completionTokens: z.number().int().nonnegative().optional(),
  latencyMs: z.number().nonnegative().optional(),
  validatedAtMs: timeMs,
});

/** A validation; see {@link LlmValidationSchema}. */
export interface LlmValidation extends z.output<typeof LlmValidationSchema> {}

