// Plain checks for the records the live path writes and reads on every trading candle (candle, signal, recommendation,
// validation, assessment, approval, reservation, order, fill). Each returns the record exactly as its zod
// schema would (a fresh object, schema key order, unknown keys dropped, a read-only copy of a feature vector's
// values) when the input is one the schema takes unchanged, and `undefined` otherwise: `parseWith` then runs
// the schema itself, which canonicalises, fills defaults or throws its `validation_failed`. A check may send
// a valid record to the schema (slower, same result); it must never pass one the schema refuses. The
// equivalence tests (record-guards.test.ts) hold both to the same answers.
//
// WHOLE LITERALS: a record with few optional fields (signal, recommendation, assessment, approval) is built as one
// object literal per shape, not filled in field by field: a literal filled in keeps the fields past its own in a
// property array on the side (one more object per record, which the in-memory store keeps as long as the record),
// and V8 can allocate a literal whose objects all live long — the store's copies — straight in the old
// generation (allocation-site pretenuring), so that young-generation collections do not copy them. Records with
// many optional fields (validation, order) are still filled in.
import type { z } from 'zod';
import { FillSchema, OrderSchema, OrderStatusSchema, OrderTypeSchema, type Fill, type Order } from './records/execution.js';
import { CANDLE_PRICE_RANGE, CANDLE_VOLUME_RANGE, CandleSchema, FeatureVectorSchema, MAX_CANDLE_START_MS, type Candle, type FeatureVector } from './records/market.js';
import { ApprovalAlgorithmSchema, ExposureReservationSchema, RiskApprovalSchema, RiskAssessmentSchema, RiskReasonCodeSchema } from './records/risk.js';
import type { ExposureReservation, RiskApproval, RiskAssessment } from './records/risk.js';
import {
  ExitRuleSchema,
  LlmValidationSchema,
  SignalActionSchema,
  SignalSchema,
  TradeRecommendationSchema,
  TradeSideSchema,
  ValidationDecisionSchema,
  ValidationFailureKindSchema,
  type LlmValidation,
  type Signal,
  type TradeRecommendation,
} from './records/trading.js';
import { GRANULARITIES, GranularitySchema, type Granularity } from './time.js';

/** A plain check: the schema's output for an input it takes unchanged, else `undefined`. @internal */
export type RecordGuard = (input: unknown) => unknown;

type Fields = Record<string, unknown>;

/** ProductIdSchema's pattern. */
const PRODUCT_ID = /^[A-Z0-9]{2,12}-[A-Z0-9]{2,12}$/;
/** Canonical fixed-point text (what DecimalStringSchema yields unchanged); `-0` is refused apart. */
const CANONICAL_DECIMAL = /^-?(0|[1-9]\d*)(\.\d*[1-9])?$/;

const setOf = (schema: { readonly options: readonly string[] }): ReadonlySet<unknown> => new Set<unknown>(schema.options);
const GRANULARITY = setOf(GranularitySchema);
const SIDE = setOf(TradeSideSchema);
const ACTION = setOf(SignalActionSchema);
const EXIT_RULE = setOf(ExitRuleSchema);
const DECISION = setOf(ValidationDecisionSchema);
const FAILURE_KIND = setOf(ValidationFailureKindSchema);
const REASON_CODE = setOf(RiskReasonCodeSchema);
const ALGORITHM = setOf(ApprovalAlgorithmSchema);
const ORDER_STATUS = setOf(OrderStatusSchema);
const ORDER_TYPE = setOf(OrderTypeSchema);
const VENUE: ReadonlySet<unknown> = new Set(['paper', 'coinbase']);
const LIQUIDITY: ReadonlySet<unknown> = new Set(['MAKER', 'TAKER']);
const INTENT: ReadonlySet<unknown> = new Set(['open', 'reduce']);
const APPROVE_REJECT: ReadonlySet<unknown> = new Set(['APPROVE', 'REJECT']);

/** A plain object (no class instance, no array): the only kind the checks take. */
function isPlain(value: unknown): value is Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

const isText = (value: unknown, min: number, max: number): value is string => typeof value === 'string' && value.length >= min && value.length <= max;
const isId = (value: unknown): value is string => isText(value, 1, 128);
const isFilled = (value: unknown): value is string => typeof value === 'string' && value.length >= 1;
const isTimeMs = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isFinite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isNonNegative = (value: unknown): value is number => isFinite(value) && value >= 0;
const isPositive = (value: unknown): value is number => isFinite(value) && value > 0;
const isProbability = (value: unknown): value is number => isFinite(value) && value >= 0 && value <= 1;
const isProductId = (value: unknown): value is string => typeof value === 'string' && PRODUCT_ID.test(value);
/** Non-negative canonical decimal text (`-0` and every negative start with `-`). */
const isAmount = (value: unknown): value is string => typeof value === 'string' && CANONICAL_DECIMAL.test(value) && value.charCodeAt(0) !== 45;

/**
 * Copies the optional fields that are present and pass their check into `out`; `false` if one fails or is
 * present as `undefined` (the schema keeps such a key: left to it).
 */
function optional(input: Fields, out: Fields, key: string, check: (value: unknown) => boolean): boolean {
  const value = input[key];
  if (value === undefined) return !(key in input);
  if (!check(value)) return false;
  out[key] = value;
  return true;
}

/**
 * A checked copy of an array of texts, of the exact size: an array filled by `push` reserves room for 17 items at
 * the first one (≈ 130 bytes a short list does not use, kept as long as the record).
 */
function textArray(value: unknown, maxItems: number, maxLength: number): string[] | undefined {
  if (!Array.isArray(value) || value.length > maxItems) return undefined;
  const source = value as unknown[];
  const copy = new Array<string>(source.length);
  for (let index = 0; index < source.length; index += 1) {
    const item = source[index];
    if (!isText(item, 0, maxLength)) return undefined;
    copy[index] = item;
  }
  return copy;
}

const isCandlePrice = (value: unknown): value is number => typeof value === 'number' && value >= CANDLE_PRICE_RANGE.min && value <= CANDLE_PRICE_RANGE.max;

function candle(input: unknown): Candle | undefined {
  if (!isPlain(input)) return undefined;
  const { productId, granularity, startMs, open, high, low, close, volume, gapFilled } = input;
  if (!isProductId(productId) || !GRANULARITY.has(granularity) || !isTimeMs(startMs) || startMs >= MAX_CANDLE_START_MS) return undefined;
  if (!isCandlePrice(open) || !isCandlePrice(high) || !isCandlePrice(low) || !isCandlePrice(close)) return undefined;
  if (typeof volume !== 'number' || !(volume <= CANDLE_VOLUME_RANGE.max) || !(volume === 0 || volume >= CANDLE_VOLUME_RANGE.minPositive)) return undefined;
  if (typeof gapFilled !== 'boolean') return undefined; // missing: the schema's default, left to it
  if (high < low || high < Math.max(open, close) || low > Math.min(open, close) || startMs % GRANULARITIES[granularity as Granularity] !== 0) return undefined;
  return { productId, granularity, startMs, open, high, low, close, volume, gapFilled } as Candle;
}

function featureVector(value: unknown): FeatureVector | undefined {
  if (!isPlain(value)) return undefined;
  const { productId, granularity, candleStartMs, featureSetVersion, values } = value;
  if (!isProductId(productId) || !GRANULARITY.has(granularity) || !isTimeMs(candleStartMs) || !isFilled(featureSetVersion)) return undefined;
  if (!Array.isArray(values) || values.length === 0 || Object.getPrototypeOf(values) !== Array.prototype) return undefined;
  // One copy of the exact size (pushing grew it several times: about 2 kB of garbage per signal), then checked;
  // copied by index, not by `slice` (which builds its result through the array's own constructor property).
  const source = values as unknown[];
  const copy = new Array<unknown>(source.length);
  for (let index = 0; index < source.length; index += 1) copy[index] = source[index];
  for (let index = 0; index < copy.length; index += 1) {
    if (!isFinite(copy[index])) return undefined;
  }
  return { productId, granularity, candleStartMs, featureSetVersion, values: Object.freeze(copy) } as FeatureVector;
}

function signal(input: unknown): Signal | undefined {
  if (!isPlain(input)) return undefined;
  const { id, pipelineId, productId, granularity, candleStartMs, action, confidence, probabilities, modelId, modelVersion, closePrice, features, generatedAtMs } = input;
  if (!isId(id) || !isFilled(pipelineId) || !isProductId(productId) || !GRANULARITY.has(granularity) || !isTimeMs(candleStartMs)) return undefined;
  if (!ACTION.has(action) || !isProbability(confidence) || !isFilled(modelId) || !isFilled(modelVersion) || !isPositive(closePrice) || !isTimeMs(generatedAtMs)) return undefined;
  const vector = featureVector(features);
  if (vector === undefined) return undefined;
  // Whole literals, one per shape (WHOLE LITERALS above).
  if (probabilities === undefined) {
    if ('probabilities' in input) return undefined;
    return { id, pipelineId, productId, granularity, candleStartMs, action, confidence, modelId, modelVersion, closePrice, features: vector, generatedAtMs } as Signal;
  }
  if (!isPlain(probabilities)) return undefined;
  const { BUY, SELL, HOLD } = probabilities;
  if (!isProbability(BUY) || !isProbability(SELL) || !isProbability(HOLD)) return undefined;
  return { id, pipelineId, productId, granularity, candleStartMs, action, confidence, probabilities: { BUY, SELL, HOLD }, modelId, modelVersion, closePrice, features: vector, generatedAtMs } as Signal;
}

function origin(value: unknown): Fields | undefined {
  if (!isPlain(value)) return undefined;
  if (value.type === 'signal') {
    const { signalId, confidence } = value;
    return isId(signalId) && isProbability(confidence) ? { type: 'signal', signalId, confidence } : undefined;
  }
  if (value.type !== 'exit' || !EXIT_RULE.has(value.rule)) return undefined;
  const out: Fields = { type: 'exit', rule: value.rule };
  return optional(value, out, 'detail', (detail) => isText(detail, 0, 500)) ? out : undefined;
}

function recommendation(input: unknown): TradeRecommendation | undefined {
  if (!isPlain(input)) return undefined;
  const { id, pipelineId, productId, granularity, candleStartMs, side, intent, quoteAmount, referencePrice, createdAtMs, expiresAtMs } = input;
  if (!isId(id) || !isFilled(pipelineId) || !isProductId(productId) || !GRANULARITY.has(granularity) || !isTimeMs(candleStartMs)) return undefined;
  if (!SIDE.has(side) || !INTENT.has(intent) || !isAmount(quoteAmount) || !isPositive(referencePrice) || !isTimeMs(createdAtMs) || !isTimeMs(expiresAtMs)) return undefined;
  const from = origin(input.origin);
  if (from === undefined || !(expiresAtMs > createdAtMs)) return undefined;
  const { baseSize } = input;
  if (baseSize === undefined) {
    if (side === 'SELL' || 'baseSize' in input) return undefined;
    return { id, pipelineId, productId, granularity, candleStartMs, side, intent, origin: from, quoteAmount, referencePrice, createdAtMs, expiresAtMs } as TradeRecommendation;
  }
  if (!isAmount(baseSize)) return undefined;
  return { id, pipelineId, productId, granularity, candleStartMs, side, intent, origin: from, quoteAmount, baseSize, referencePrice, createdAtMs, expiresAtMs } as TradeRecommendation;
}

function validation(input: unknown): LlmValidation | undefined {
  if (!isPlain(input)) return undefined;
  const { id, recommendationId, validator, decision, validatedAtMs } = input;
  if (!isId(id) || !isId(recommendationId) || !isFilled(validator) || !DECISION.has(decision) || !isTimeMs(validatedAtMs)) return undefined;
  const reasons = textArray(input.reasons, 50, 2000);
  const riskFlags = textArray(input.riskFlags, 50, 200); // missing: the schema's default, left to it
  if (reasons === undefined || riskFlags === undefined) return undefined;
  const out: Fields = { id, recommendationId, validator, decision, reasons };
  if (!optional(input, out, 'confidence', isProbability)) return undefined;
  out.riskFlags = riskFlags;
  const { failure } = input;
  if (failure !== undefined) {
    if (!isPlain(failure) || !FAILURE_KIND.has(failure.kind) || !isText(failure.message, 0, 2000)) return undefined;
    out.failure = { kind: failure.kind, message: failure.message };
  } else if ('failure' in input) return undefined;
  const isString = (value: unknown): boolean => typeof value === 'string';
  const isCount = (value: unknown): boolean => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
  if (!optional(input, out, 'model', isString) || !optional(input, out, 'promptVersion', isString)) return undefined;
  if (!optional(input, out, 'rawResponse', (value) => isText(value, 0, 65_536))) return undefined;
  if (!optional(input, out, 'promptTokens', isCount) || !optional(input, out, 'completionTokens', isCount)) return undefined;
  if (!optional(input, out, 'latencyMs', isNonNegative)) return undefined;
  out.validatedAtMs = validatedAtMs;
  return out as unknown as LlmValidation;
}

function figures(value: unknown): Record<string, number> | undefined {
  if (!isPlain(value)) return undefined; // missing: the schema's default, left to it
  const keys = Object.keys(value);
  if (Reflect.ownKeys(value).length !== keys.length) return undefined;
  const copy: Record<string, number> = {};
  for (const key of keys) {
    const figure = value[key];
    if (key === '__proto__' || !isFinite(figure)) return undefined;
    copy[key] = figure;
  }
  return copy;
}

function assessment(input: unknown): RiskAssessment | undefined {
  if (!isPlain(input)) return undefined;
  const { id, recommendationId, productId, side, decision, volatilityAnnualized, volatilityWindowDays, portfolioHeat, portfolioHeatAfter, riskScore } = input;
  if (!isId(id) || !isId(recommendationId) || !isProductId(productId) || !SIDE.has(side) || !APPROVE_REJECT.has(decision)) return undefined;
  if (!isNonNegative(volatilityAnnualized) || !isPositive(volatilityWindowDays) || !isNonNegative(portfolioHeat) || !isNonNegative(portfolioHeatAfter) || !isProbability(riskScore)) return undefined;
  const { requestedQuoteAmount, adjustedQuoteAmount, equityQuote, exposureQuote, dailyPnlQuote, markPrice, lastCandleStartMs, assessedAtMs } = input;
  if (!isAmount(requestedQuoteAmount) || !isAmount(adjustedQuoteAmount) || !isFinite(equityQuote) || !isNonNegative(exposureQuote) || !isFinite(dailyPnlQuote)) return undefined;
  if (!isPositive(markPrice) || !isTimeMs(lastCandleStartMs) || !isTimeMs(assessedAtMs)) return undefined;
  const source: unknown = input.reasons;
  if (!Array.isArray(source) || source.length === 0) return undefined;
  const reasons = new Array<Fields>(source.length); // of the exact size (see textArray)
  for (let index = 0; index < source.length; index += 1) {
    const reason: unknown = source[index];
    if (!isPlain(reason)) return undefined;
    const { code, message } = reason;
    if (!REASON_CODE.has(code) || !isText(message, 0, 1000)) return undefined;
    reasons[index] = { code, message };
  }
  const figureCopy = figures(input.figures);
  if (figureCopy === undefined) return undefined;
  const { adjustedBaseSize } = input;
  if (adjustedBaseSize === undefined) {
    if ('adjustedBaseSize' in input) return undefined;
    // prettier-ignore
    return { id, recommendationId, productId, side, decision, reasons, volatilityAnnualized, volatilityWindowDays, portfolioHeat, portfolioHeatAfter, riskScore, requestedQuoteAmount, adjustedQuoteAmount, equityQuote, exposureQuote, dailyPnlQuote, markPrice, lastCandleStartMs, figures: figureCopy, assessedAtMs } as RiskAssessment;
  }
  if (!isAmount(adjustedBaseSize)) return undefined;
  // prettier-ignore
  return { id, recommendationId, productId, side, decision, reasons, volatilityAnnualized, volatilityWindowDays, portfolioHeat, portfolioHeatAfter, riskScore, requestedQuoteAmount, adjustedQuoteAmount, adjustedBaseSize, equityQuote, exposureQuote, dailyPnlQuote, markPrice, lastCandleStartMs, figures: figureCopy, assessedAtMs } as RiskAssessment;
}

function approval(input: unknown): RiskApproval | undefined {
  if (!isPlain(input)) return undefined;
  const { id, recommendationId, clientOrderId, productId, side, issuedAtMs, expiresAtMs, keyId, algorithm, signature } = input;
  if (!isId(id) || !isId(recommendationId) || !isId(clientOrderId) || !isProductId(productId) || !SIDE.has(side) || !isTimeMs(issuedAtMs) || !isTimeMs(expiresAtMs)) return undefined;
  if (!isId(keyId) || !ALGORITHM.has(algorithm) || !isText(signature, 16, 512)) return undefined;
  const { maxQuoteAmount, maxBaseSize } = input;
  if ((maxQuoteAmount === undefined ? 'maxQuoteAmount' in input : !isAmount(maxQuoteAmount)) || (maxBaseSize === undefined ? 'maxBaseSize' in input : !isAmount(maxBaseSize))) return undefined;
  if ((side === 'BUY' ? maxQuoteAmount : maxBaseSize) === undefined) return undefined;
  if (maxBaseSize === undefined) return { id, recommendationId, clientOrderId, productId, side, maxQuoteAmount, issuedAtMs, expiresAtMs, keyId, algorithm, signature } as RiskApproval;
  if (maxQuoteAmount === undefined) return { id, recommendationId, clientOrderId, productId, side, maxBaseSize, issuedAtMs, expiresAtMs, keyId, algorithm, signature } as RiskApproval;
  return { id, recommendationId, clientOrderId, productId, side, maxQuoteAmount, maxBaseSize, issuedAtMs, expiresAtMs, keyId, algorithm, signature } as RiskApproval;
}

function reservation(input: unknown): ExposureReservation | undefined {
  if (!isPlain(input)) return undefined;
  const { approvalId, productId, side, quoteAmount, baseSize, reservedAtMs, expiresAtMs } = input;
  if (!isId(approvalId) || !isProductId(productId) || !SIDE.has(side) || !isAmount(quoteAmount) || !isAmount(baseSize) || !isTimeMs(reservedAtMs) || !isTimeMs(expiresAtMs)) return undefined;
  return { approvalId, productId, side, quoteAmount, baseSize, reservedAtMs, expiresAtMs } as ExposureReservation;
}

function order(input: unknown): Order | undefined {
  if (!isPlain(input)) return undefined;
  const { id, recommendationId, approvalId, clientOrderId, venue, productId, side, orderType, status, filledBaseSize, filledQuoteValue, totalFees, createdAtMs, updatedAtMs } = input;
  if (!isId(id) || !isId(recommendationId) || !isId(approvalId) || !isId(clientOrderId) || !VENUE.has(venue) || !isProductId(productId) || !SIDE.has(side)) return undefined;
  if (!ORDER_TYPE.has(orderType) || !ORDER_STATUS.has(status) || !isAmount(filledBaseSize) || !isAmount(filledQuoteValue) || !isAmount(totalFees)) return undefined;
  if (!isTimeMs(createdAtMs) || !isTimeMs(updatedAtMs)) return undefined;
  const out: Fields = { id, recommendationId, approvalId, clientOrderId, venue, productId, side, orderType };
  if (!optional(input, out, 'quoteSize', isAmount) || !optional(input, out, 'baseSize', isAmount) || !optional(input, out, 'limitPrice', isAmount)) return undefined;
  out.status = status;
  if (!optional(input, out, 'exchangeOrderId', (value) => isText(value, 0, 128))) return undefined;
  out.filledBaseSize = filledBaseSize;
  out.filledQuoteValue = filledQuoteValue;
  if (!optional(input, out, 'averageFillPrice', isAmount)) return undefined;
  out.totalFees = totalFees;
  if (!optional(input, out, 'statusReason', (value) => isText(value, 0, 1000))) return undefined;
  out.createdAtMs = createdAtMs;
  out.updatedAtMs = updatedAtMs;
  if (!optional(input, out, 'submittedAtMs', isTimeMs) || !optional(input, out, 'completedAtMs', isTimeMs)) return undefined;
  return out as unknown as Order;
}

function fill(input: unknown): Fill | undefined {
  if (!isPlain(input)) return undefined;
  const { id, orderId, clientOrderId, venue, productId, side, price, sizeBase, commission, liquidity, filledAtMs } = input;
  if (!isId(id) || !isId(orderId) || !isId(clientOrderId) || !VENUE.has(venue) || !isProductId(productId) || !SIDE.has(side)) return undefined;
  if (!isAmount(price) || !isAmount(sizeBase) || !isAmount(commission) || !LIQUIDITY.has(liquidity) || !isTimeMs(filledAtMs)) return undefined;
  return { id, orderId, clientOrderId, venue, productId, side, price, sizeBase, commission, liquidity, filledAtMs } as Fill;
}

/** The plain check of each guarded schema. @internal */
export const RECORD_GUARDS: ReadonlyMap<z.ZodType, RecordGuard> = new Map<z.ZodType, RecordGuard>([
  [CandleSchema, candle],
  [SignalSchema, signal],
  [FeatureVectorSchema, featureVector],
  [TradeRecommendationSchema, recommendation],
  [LlmValidationSchema, validation],
  [RiskAssessmentSchema, assessment],
  [RiskApprovalSchema, approval],
  [ExposureReservationSchema, reservation],
  [OrderSchema, order],
  [FillSchema, fill],
]);
