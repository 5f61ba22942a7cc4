// Box 6 of the design: execution. The executor consumes the signed approval with the order intent, then
// submits. Once an intent exists the recommendation never ends before its order does.
import { isRetryableError, isTradepipeError, toTradepipeError } from '../../errors.js';
import { recordId } from '../../ids.js';
import { TERMINAL_ORDER_STATUSES, type Order } from '../../records/execution.js';
import type { PipelineStore } from '../../store.js';
import type { PipelineRuntime } from '../runtime.js';
import { defineStage, stageEvent, type PipelineStage, type StageResult, type StageRunContext } from '../stage.js';
import { expiredResult, isExpired, claimedRecommendation, loadRecommendation, resultOfOrder, type RecommendationInput } from './recommendation-input.js';

/** What the execution stage needs from the store itself (the executor records orders through its own context). */
export type ExecutionStore = Pick<PipelineStore, 'getRecommendation' | 'getApproval' | 'getOrder'>;

/** The execution stage's input: the recommendation and the order already recorded for it, if any (a retry). */
export interface ExecutionInput extends RecommendationInput {
  /** The order recorded for the recommendation by an earlier attempt, if any. */
  readonly order: Order | undefined;
}

/**
 * Execution: an expired recommendation without an order ends EXPIRED without a call; otherwise the executor
 * places (or, on a retry, reconciles) the order. The recommendation takes the order's state: terminal, or
 * SUBMITTED while it is open or its outcome is unknown (the fills stage follows it). A failure after the
 * intent was recorded hands the order on in the same way; a failure before it is retried as usual.
 */
export function createExecutionStage(runtime: PipelineRuntime): PipelineStage<'recommendation', ExecutionInput, ExecutionStore> {
  return defineStage({
    name: 'execution',
    takes: { kind: 'recommendation', state: 'PENDING_EXECUTION', ordered: false },
    onRetriesExhausted: 'DEAD_LETTER',
    onPermanentFailure: 'FAILED',
    async load(claim, context) {
      const recommendation = claimedRecommendation(claim) ?? (await loadRecommendation(claim, context.store));
      return { recommendation, order: await context.store.getOrder(recordId('order', [recommendation.id])) };
    },
    async run({ recommendation, order: existing }, context) {
      if (existing === undefined && isExpired(recommendation, context.clock)) return expiredResult('execution');
      const approval = await context.store.getApproval(recommendation.id);
      const order = await runtime.options.executor!.execute({ recommendation, approval }, context.slotContext);
      return { ...resultOfOrder(order), events: [stageEvent('order:updated', { order })] };
    },
    recover: (input, failure, context) => handOrderOn(input, failure, context),
  });
}

/**
 * After a failure: an order recorded for the recommendation decides its fate. A terminal order (another
 * worker settled it) gives its state; an open one, or one whose outcome is unknown, goes to the fills stage
 * (SUBMITTED), which follows it until the exchange answers. Without an order, the runner's retry rules apply.
 * Nothing is decided while the pipeline stops or after the lease was lost.
 */
async function handOrderOn(input: ExecutionInput | undefined, failure: unknown, context: StageRunContext<ExecutionStore>): Promise<StageResult<'recommendation'> | undefined> {
  if (input === undefined || context.signal.aborted) return undefined;
  const order = await context.store.getOrder(recordId('order', [input.recommendation.id]));
  if (order === undefined) return undefined;
  const error = toTradepipeError(failure);
  if (TERMINAL_ORDER_STATUSES.includes(order.status)) {
    if (!isTradepipeError(failure, 'order_conflict') && !isTradepipeError(failure, 'approval_consumed')) {
      context.logger.warn('executor failed but its order has ended; the recommendation takes its state', { orderId: order.id, status: order.status, code: error.code });
    }
    return { ...resultOfOrder(order), events: [stageEvent('order:updated', { order })] };
  }
  const reason = `order ${order.status.toLowerCase()} after ${error.code}; following it`;
  context.logger.warn('executor failed with an order recorded; the fills stage follows it', { orderId: order.id, status: order.status, code: error.code, retryable: isRetryableError(failure) });
  return { kind: 'complete', state: 'SUBMITTED', reason, events: [stageEvent('order:updated', { order })] };
}
