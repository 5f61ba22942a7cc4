import { recordId } from './ids.js';
import type { TradeValidator } from './interfaces.js';
import type { LlmValidation, TradeRecommendation, ValidationFailureKind } from './records/trading.js';

/** Longest raw response kept in a validation record (the record schema's limit); longer ones are cut. */
export const RAW_RESPONSE_LIMIT = 65_536;

/** What a validator knows about a failed exchange, recorded beside a fail-closed REJECT. */
export interface FailClosedDetails {
  /** The model that was asked, when known. */
  readonly model?: string;
  /** The version of the prompt that was sent, when known. */
  readonly promptVersion?: string;
  /** What the server answered, when anything; clipped to {@link RAW_RESPONSE_LIMIT} characters. */
  readonly rawResponse?: string;
  /** Tokens of the prompt, as the server counted them. */
  readonly promptTokens?: number;
  /** Tokens of the answer, as the server counted them. */
  readonly completionTokens?: number;
  /** How long the request took, ms (recorded as 0 if negative). */
  readonly latencyMs?: number;
  /** The confidence of a verdict that was refused anyway (e.g. a self-contradicting one), in [0, 1]. */
  readonly confidence?: number;
  /** The risk flags of a verdict that was refused anyway; at most 50 are kept. */
  readonly riskFlags?: readonly string[];
  /** Reasons kept after the fail-closed reason (e.g. a self-contradicting verdict's own reasons). */
  readonly extraReasons?: readonly string[];
}

const clip = (text: string, limit: number): string => (text.length <= limit ? text : `${text.slice(0, limit - 1)}…`);

/**
 * A fail-closed REJECT validation: what is recorded when a validator could not give a verdict (retries or
 * time-to-live ran out, a garbled answer). Never an approval. Its first reason names the kind.
 * @returns an `LlmValidation` with id `recordId('validation', [recommendation.id, validator])`
 * @example
 * failClosedValidation({ recommendation, validator: 'ollama', kind: 'retries_exhausted', message: 'timeout', nowMs });
 */
export function failClosedValidation(input: {
  readonly recommendation: Pick<TradeRecommendation, 'id'>;
  readonly validator: string;
  readonly kind: ValidationFailureKind;
  readonly message: string;
  readonly nowMs: number;
  readonly details?: FailClosedDetails;
}): LlmValidation {
  const details = input.details ?? {};
  const message = clip(input.message, 2000);
  const reasons = [clip(`fail-closed (${input.kind}): ${message}`, 2000), ...(details.extraReasons ?? []).map((reason) => clip(reason, 2000))];
  return {
    id: recordId('validation', [input.recommendation.id, input.validator]),
    recommendationId: input.recommendation.id,
    validator: input.validator,
    decision: 'REJECT',
    reasons: reasons.slice(0, 50),
    ...(details.confidence === undefined ? {} : { confidence: details.confidence }),
    riskFlags: [...(details.riskFlags ?? [])].slice(0, 50),
    failure: { kind: input.kind, message },
    ...(details.model === undefined ? {} : { model: details.model }),
    ...(details.promptVersion === undefined ? {} : { promptVersion: details.promptVersion }),
    ...(details.rawResponse === undefined ? {} : { rawResponse: clip(details.rawResponse, RAW_RESPONSE_LIMIT) }),
    ...(details.promptTokens === undefined ? {} : { promptTokens: details.promptTokens }),
    ...(details.completionTokens === undefined ? {} : { completionTokens: details.completionTokens }),
    ...(details.latencyMs === undefined ? {} : { latencyMs: Math.max(0, details.latencyMs) }),
    validatedAtMs: input.nowMs,
  };
}

/**
 * A validation record for a custom {@link TradeValidator}: the verdict with the id the pipeline stores it
 * under (`recordId('validation', [recommendation.id, validator])`).
 * @example
 * return createValidation({ recommendation: input.recommendation, validator: this.name, decision: 'REJECT', reasons: ['weekend'], nowMs: context.clock.nowMs() });
 */
export function createValidation(input: {
  readonly recommendation: Pick<TradeRecommendation, 'id'>;
  readonly validator: string;
  readonly decision: LlmValidation['decision'];
  readonly reasons: readonly string[];
  readonly nowMs: number;
  readonly confidence?: number;
  readonly riskFlags?: readonly string[];
}): LlmValidation {
  return {
    id: recordId('validation', [input.recommendation.id, input.validator]),
    recommendationId: input.recommendation.id,
    validator: input.validator,
    decision: input.decision,
    reasons: input.reasons.map((reason) => clip(reason, 2000)).slice(0, 50),
    ...(input.confidence === undefined ? {} : { confidence: input.confidence }),
    riskFlags: [...(input.riskFlags ?? [])].slice(0, 50),
    validatedAtMs: input.nowMs,
  };
}
