// Box 4 of the design: LLM validation. Every validator (the primary and the plugins') must APPROVE; fail closed.
import { TradepipeError, isRetryableError, toTradepipeError } from '../../errors.js';
import { recordId } from '../../ids.js';
import type { TradeValidator, ValidationInput } from '../../interfaces.js';
import { parseWith } from '../../parse.js';
import { LlmValidationSchema, type LlmValidation, type TradeRecommendation } from '../../records/trading.js';
import type { PipelineStore, RecordWrite } from '../../store.js';
import { failClosedValidation } from '../../validation-records.js';
import type { PipelineRuntime } from '../runtime.js';
import { StageFailure, defineStage, stageEvent, type PipelineStage, type StageResult, type StageRunContext } from '../stage.js';
import { expiredResult, isExpired, loadRecommendationInput, type RecommendationInput } from './recommendation-input.js';
import { ValidatorContext } from './validator-context.js';

/** What validation needs from the store. */
export type ValidationStore = Pick<PipelineStore, 'getRecommendation' | 'getSignal' | 'getCandles'>;

/**
 * Validation: each validator in turn, the recommendation's time-to-live checked right before each call (an
 * expired one ends EXPIRED without a call, and a call still waiting when it expires is aborted). A retryable
 * failure is retried; when retries run out a fail-closed REJECT is recorded; any other failure is a REJECT at
 * once. Approved → risk (or a plugin stage slotted in after validation).
 */
export function createValidationStage(runtime: PipelineRuntime): PipelineStage<'recommendation', RecommendationInput, ValidationStore> {
  return defineStage({
    name: 'validation',
    takes: { kind: 'recommendation', state: 'PENDING_VALIDATION', ordered: false },
    passesTo: 'PENDING_RISK',
    onRetriesExhausted: 'REJECTED',
    onPermanentFailure: 'REJECTED',
    load: (claim, context) => loadRecommendationInput(claim, context.store),
    async run({ recommendation }, context) {
      if (isExpired(recommendation, context.clock)) return expiredResult('validation');
      const input = await validationInput(runtime, recommendation, context);
      const validations: LlmValidation[] = [];
      for (const validator of runtime.validators) {
        if (isExpired(recommendation, context.clock)) return expiredResult('validation');
        const verdict = await callValidator(validator, input, context);
        if (verdict === 'expired') return expiredResult('validation');
        validations.push(verdict);
      }
      return verdictResult(recommendation, validations);
    },
  });
}

async function validationInput(runtime: PipelineRuntime, recommendation: TradeRecommendation, context: StageRunContext<ValidationStore>): Promise<ValidationInput> {
  const signal = recommendation.origin.type === 'signal' ? await context.store.getSignal(recommendation.origin.signalId) : undefined;
  const recentCandles = await context.store.getCandles({
    productId: recommendation.productId,
    granularity: recommendation.granularity,
    asOfMs: context.clock.nowMs(),
    limit: runtime.tuning.validationCandles,
  });
  return { recommendation, signal, recentCandles, featureNames: runtime.options.features?.featureNames ?? [] };
}

/** One validator's verdict under the pipeline's id; a fail-closed REJECT for a permanent failure; `expired` if the TTL passed meanwhile. */
async function callValidator(validator: TradeValidator, input: ValidationInput, context: StageRunContext<ValidationStore>): Promise<LlmValidation | 'expired'> {
  const { recommendation } = input;
  // Its signal aborts at expiry, pipeline stop or lease loss; made only if the validator reads it.
  const validatorContext = new ValidatorContext(recommendation, context);
  try {
    const answer = await validator.validate(input, validatorContext);
    if (answer.recommendationId !== recommendation.id) throw new TradepipeError('llm_invalid_response', 'The validator answered for another recommendation');
    // The record's identity is the pipeline's to give: one validation per (recommendation, validator).
    const id = recordId('validation', [recommendation.id, validator.name]);
    return parseWith(LlmValidationSchema, { ...answer, id, validator: validator.name }, `verdict of ${validator.name}`);
  } catch (error) {
    if (!context.signal.aborted && isExpired(recommendation, context.clock)) return 'expired';
    if (isRetryableError(error) || context.signal.aborted) throw new StageFailure(error, (nowMs) => retriesExhaustedWrites(recommendation, validator.name, error, nowMs));
    const failure = toTradepipeError(error);
    return failClosedValidation({ recommendation, validator: validator.name, kind: 'validator_error', message: `${failure.code}: ${failure.message}`, nowMs: context.clock.nowMs() });
  } finally {
    validatorContext.dispose();
  }
}

function verdictResult(recommendation: TradeRecommendation, validations: readonly LlmValidation[]): StageResult<'recommendation'> {
  const rejections = validations.filter((validation) => validation.decision === 'REJECT');
  const approved = rejections.length === 0;
  const writes: RecordWrite[] = validations.map((record) => ({ type: 'validation', record }));
  const events = [stageEvent('recommendation:validated', { recommendation, validations, approved })];
  if (approved) return { kind: 'pass', writes, events };
  const reason = rejections.map((rejection) => `${rejection.validator}: ${rejection.reasons.join('; ')}`).join(' | ').slice(0, 1000);
  return { kind: 'complete', state: 'REJECTED', reason, writes, events };
}

/** What the pipeline records when a recommendation's validation retries run out: a fail-closed REJECT. */
function retriesExhaustedWrites(recommendation: Pick<TradeRecommendation, 'id'>, validatorName: string, cause: unknown, nowMs: number): RecordWrite[] {
  const error = toTradepipeError(cause);
  return [{ type: 'validation', record: failClosedValidation({ recommendation, validator: validatorName, kind: 'retries_exhausted', message: `${error.code}: ${error.message}`, nowMs }) }];
}
