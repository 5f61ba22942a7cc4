import { RAW_RESPONSE_LIMIT, failClosedValidation as coreFailClosedValidation } from '@tradepipe/core';
import type { FailClosedDetails, LlmValidation, TradeRecommendation, ValidationFailureKind } from '@tradepipe/core';

/**
 * Positional shorthand for core's `failClosedValidation`, used inside this package.
 * @internal
 */
export function failClosedValidation(
  recommendation: Pick<TradeRecommendation, 'id'>,
  validatorName: string,
  kind: ValidationFailureKind,
  message: string,
  nowMs: number,
  details: FailClosedDetails = {},
): LlmValidation {
  return coreFailClosedValidation({ recommendation, validator: validatorName, kind, message, nowMs, details });
}

/**
 * Cuts a raw response to what a record holds.
 * @internal
 */
export function clipRawResponse(raw: string): string {
  return raw.length <= RAW_RESPONSE_LIMIT ? raw : `${raw.slice(0, RAW_RESPONSE_LIMIT - 1)}…`;
}
