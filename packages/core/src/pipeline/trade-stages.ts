import { TradepipeError, isRetryableError, toTradepipeError } from '../errors.js';
import { recordId } from '../ids.js';
import type { StageContext, ValidationInput } from '../interfaces.js';
import { candleCloseMs } from '../records/market.js';
import { TERMINAL_ORDER_STATUSES, type Order } from '../records/execution.js';
import { LlmValidationSchema, TERMINAL_RECOMMENDATION_STATES, type LlmValidation, type RecommendationState, type TradeRecommendation } from '../records/trading.js';
import { parseWith } from '../parse.js';
import type { Claim, RecordWrite } from '../store.js';
import { GRANULARITIES } from '../time.js';
import { failClosedValidation } from '../validation-records.js';
import { type PipelineRuntime } from './runtime.js';

/** The bridge: a signal becomes a recommendation (or a recorded REJECT, or nothing for HOLD). @internal */
export async function processSignal(runtime: PipelineRuntime, claim: Claim<'signal'>, context: StageContext): Promise<void> {
  const signal = await context.store.getSignal(claim.id);
  if (signal === undefined) throw new TradepipeError('not_found', 'Claimed signal is missing', { details: { id: claim.id } });
  const nowMs = context.clock.nowMs();
  const closeMs = candleCloseMs({ startMs: signal.candleStartMs, granularity: signal.granularity });
  if (nowMs - closeMs > runtime.tuning.maxSignalAgeCandles * GRANULARITIES[signal.granularity]) {
    await context.store.complete(claim, { state: 'DONE', reason: 'stale_signal: the candle closed too long ago to trade on' });
    return;
  }
  const product = await context.store.getProduct(signal.productId);
  if (product === undefined) throw new TradepipeError('not_found', 'The product of the signal is unknown to the store', { details: { productId: signal.productId } });
  const position = await context.store.getPosition(signal.productId);
  const decision = runtime.policy.recommend({ signal, product, position, nowMs });
  if (decision.kind === 'none') {
    await context.store.complete(claim, { state: 'DONE', reason: decision.reason });
    return;
  }
  const state: RecommendationState = decision.kind === 'recommend' ? 'PENDING_VALIDATION' : 'REJECTED';
  const reason = decision.kind === 'reject' ? decision.reason : undefined;
  const write: RecordWrite = { type: 'recommendation', record: decision.recommendation, state, ...(reason === undefined ? {} : { reason }) };
  await context.store.complete(claim, { state: 'DONE', writes: [write] });
  runtime.bus.emit('recommendation:created', { recommendation: decision.recommendation, state, ...(reason === undefined ? {} : { reason }) });
  if (reason !== undefined) runtime.bus.emit('recommendation:finished', { recommendation: decision.recommendation, state, reason });
}

async function loadRecommendation(claim: Claim<'recommendation'>, context: StageContext): Promise<TradeRecommendation> {
  const stored = await context.store.getRecommendation(claim.id);
  if (stored === undefined) throw new TradepipeError('not_found', 'Claimed recommendation is missing', { details: { id: claim.id } });
  return stored.record;
}

async function finish(
  runtime: PipelineRuntime,
  claim: Claim<'recommendation'>,
  context: StageContext,
  recommendation: TradeRecommendation,
  outcome: { state: RecommendationState; reason?: string; writes?: RecordWrite[] },
  persisted?: () => void,
): Promise<void> {
  await context.store.complete(claim, outcome);
  persisted?.();
  if (outcome.state === 'EXPIRED') runtime.bus.emit('recommendation:expired', { recommendation, stage: claim.state });
  if (TERMINAL_RECOMMENDATION_STATES.includes(outcome.state)) {
    runtime.bus.emit('recommendation:finished', { recommendation, state: outcome.state, ...(outcome.reason === undefined ? {} : { reason: outcome.reason }) });
  }
}

async function expireIfStale(runtime: PipelineRuntime, claim: Claim<'recommendation'>, context: StageContext, recommendation: TradeRecommendation): Promise<boolean> {
  if (context.clock.nowMs() < recommendation.expiresAtMs) return false;
  await finish(runtime, claim, context, recommendation, { state: 'EXPIRED', reason: `expired before ${claim.state.toLowerCase()}` });
  return true;
}

/**
 * Validation: every validator (the primary and the plugins') must APPROVE. A retryable failure is retried;
 * when retries run out the pipeline records a fail-closed REJECT; any other failure is a REJECT at once.
 * @internal
 */
export async function processValidation(runtime: PipelineRuntime, claim: Claim<'recommendation'>, context: StageContext): Promise<void> {
  const recommendation = await loadRecommendation(claim, context);
  if (await expireIfStale(runtime, claim, context, recommendation)) return;
  const signal = recommendation.origin.type === 'signal' ? await context.store.getSignal(recommendation.origin.signalId) : undefined;
  const input: ValidationInput = {
    recommendation,
    signal,
    recentCandles: await context.store.getCandles({
      productId: recommendation.productId,
      granularity: recommendation.granularity,
      asOfMs: context.clock.nowMs(),
      limit: runtime.tuning.validationCandles,
    }),
    featureNames: runtime.options.features?.featureNames ?? [],
  };
  const validations: LlmValidation[] = [];
  for (const validator of runtime.validators) {
    try {
      const answer = await validator.validate(input, context);
      if (answer.recommendationId !== recommendation.id) {
        throw new TradepipeError('llm_invalid_response', 'The validator answered for another recommendation');
      }
      // The record's identity is the pipeline's to give: one validation per (recommendation, validator).
      const id = recordId('validation', [recommendation.id, validator.name]);
      validations.push(parseWith(LlmValidationSchema, { ...answer, id, validator: validator.name }, `verdict of ${validator.name}`));
    } catch (error) {
      if (isRetryableError(error) || context.signal.aborted) throw new ValidatorRetry(validator.name, error);
      const failure = toTradepipeError(error);
      validations.push(failClosedValidation({ recommendation, validator: validator.name, kind: 'validator_error', message: `${failure.code}: ${failure.message}`, nowMs: context.clock.nowMs() }));
    }
  }
  const rejections = validations.filter((validation) => validation.decision === 'REJECT');
  const approved = rejections.length === 0;
  const writes: RecordWrite[] = validations.map((record) => ({ type: 'validation', record }));
  const reason = approved ? undefined : rejections.map((rejection) => `${rejection.validator}: ${rejection.reasons.join('; ')}`).join(' | ').slice(0, 1000);
  await finish(runtime, claim, context, recommendation, { state: approved ? 'PENDING_RISK' : 'REJECTED', writes, ...(reason === undefined ? {} : { reason }) }, () =>
    runtime.bus.emit('recommendation:validated', { recommendation, validations, approved }),
  );
}

/** A retryable validator failure, carrying which validator failed, for the fail-closed record. @internal */
export class ValidatorRetry extends Error {
  constructor(
    readonly validatorName: string,
    readonly original: unknown,
  ) {
    super(original instanceof Error ? original.message : String(original));
    this.name = 'ValidatorRetry';
  }
}

/** What the pipeline records when a recommendation's validation retries run out. @internal */
export function retriesExhaustedWrites(claim: Claim<'recommendation'>, failure: ValidatorRetry, nowMs: number): RecordWrite[] {
  const error = toTradepipeError(failure.original);
  return [
    {
      type: 'validation',
      record: failClosedValidation({
        recommendation: { id: claim.id },
        validator: failure.validatorName,
        kind: 'retries_exhausted',
        message: `${error.code}: ${error.message}`,
        nowMs,
      }),
    },
  ];
}

/** Risk: the manager assesses and, on APPROVE, records a signed approval with its reserved exposure. @internal */
export async function processRisk(runtime: PipelineRuntime, claim: Claim<'recommendation'>, context: StageContext): Promise<void> {
  const recommendation = await loadRecommendation(claim, context);
  if (await expireIfStale(runtime, claim, context, recommendation)) return;
  const result = await runtime.options.risk!.assess(recommendation, context);
  const { assessment } = result;
  if (assessment.recommendationId !== recommendation.id) throw new TradepipeError('internal', 'Risk assessed another recommendation');
  const approved = assessment.decision === 'APPROVE' && result.approval !== undefined;
  const reason = approved ? undefined : assessment.reasons.map((item) => `${item.code}: ${item.message}`).join('; ').slice(0, 1000);
  await finish(runtime, claim, context, recommendation, { state: approved ? 'PENDING_EXECUTION' : 'REJECTED', ...(reason === undefined ? {} : { reason }) }, () =>
    runtime.bus.emit('recommendation:assessed', { recommendation, assessment }),
  );
}

function stateOfOrder(order: Order): RecommendationState {
  if (order.status === 'EXECUTED') return 'EXECUTED';
  if (order.status === 'REJECTED') return 'REJECTED';
  if (order.status === 'FAILED') return 'FAILED';
  return 'SUBMITTED';
}

/** Execution: the executor consumes the approval with the order intent, then submits. @internal */
export async function processExecution(runtime: PipelineRuntime, claim: Claim<'recommendation'>, context: StageContext): Promise<void> {
  const recommendation = await loadRecommendation(claim, context);
  const approval = await context.store.getApproval(recommendation.id);
  let order: Order;
  try {
    order = await runtime.options.executor!.execute({ recommendation, approval }, context);
  } catch (error) {
    order = await orderAfterFailure(recommendation, error, context);
  }
  runtime.bus.emit('order:updated', { order });
  const state = stateOfOrder(order);
  await finish(runtime, claim, context, recommendation, { state, ...reasonOf(order, state) });
}

/** The reason a recommendation ends with: the order's, unless it executed (an old network error is history). */
function reasonOf(order: Order, state: RecommendationState): { reason?: string } {
  return state === 'EXECUTED' || order.statusReason === undefined ? {} : { reason: order.statusReason };
}

/**
 * Once an order intent exists, a failure of the executor must not end the recommendation as if nothing was
 * placed: an order the venue acknowledged goes on to the fills stage, and an order whose fate is unknown
 * (never confirmed sent, or the answer lost) is retried as `order_state_unknown` so it is reconciled.
 * Without an intent the failure stands.
 */
async function orderAfterFailure(recommendation: TradeRecommendation, error: unknown, context: StageContext): Promise<Order> {
  if (isRetryableError(error) || context.signal.aborted) throw error;
  const order = await context.store.getOrder(recordId('order', [recommendation.id]));
  if (order === undefined || TERMINAL_ORDER_STATUSES.includes(order.status)) throw error;
  const failure = toTradepipeError(error);
  if (order.status === 'INTENT_RECORDED' || order.status === 'UNKNOWN' || order.status === 'SUBMITTED') {
    throw new TradepipeError('order_state_unknown', 'The executor failed with an order intent recorded; reconciling it', {
      cause: failure,
      details: { orderId: order.id, status: order.status },
    });
  }
  context.logger.warn('executor failed after the venue acknowledged the order; following it in the fills stage', { orderId: order.id, error: failure });
  return order;
}

/** Fills: follows a submitted order until it ends, polling at the configured interval. @internal */
export async function processFills(runtime: PipelineRuntime, claim: Claim<'recommendation'>, context: StageContext): Promise<void> {
  const recommendation = await loadRecommendation(claim, context);
  const order = await context.store.getOrder(recordId('order', [recommendation.id]));
  if (order === undefined) throw new TradepipeError('not_found', 'The submitted recommendation has no order', { details: { id: claim.id } });
  const updated = TERMINAL_ORDER_STATUSES.includes(order.status) ? order : await runtime.options.executor!.refresh(order, context);
  if (updated.updatedAtMs !== order.updatedAtMs || updated.status !== order.status) runtime.bus.emit('order:updated', { order: updated });
  const state = stateOfOrder(updated);
  if (state === 'SUBMITTED') {
    await context.store.release(claim, { delayMs: runtime.tuning.orderPollIntervalMs });
    return;
  }
  await finish(runtime, claim, context, recommendation, { state, ...reasonOf(updated, state) });
}

