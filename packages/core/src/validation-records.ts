import { recordId } from './ids.js';
import type { TradeValidator } from './interfaces.js';
import type { LlmValidation, TradeRecommendation, ValidationFailureKind } from './records/trading.js';

/** Longest raw response kept in a validation record (the record schema's limit); longer ones are cut. */
export const RAW_RESPONSE_LIMIT = 65_536;

/** What a validator knows about a failed exchange, recorded beside a fail-closed REJECT. */
export interface FailClosedDetails {
  readonly model?: string;
  readonly promptVersion?: string;
  readonly rawResponse?: string;
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  readonly latencyMs?: number;
  readonly confidence?: number;
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
