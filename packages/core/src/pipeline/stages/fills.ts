// Box 7 of the design: fills. A submitted recommendation's order is followed until the exchange gives a
// terminal answer; an outage delays it, never abandons it.
import { TradepipeError, isRetryableError } from '../../errors.js';
import { recordId } from '../../ids.js';
import { TERMINAL_ORDER_STATUSES, type Order } from '../../records/execution.js';
import type { PipelineStore } from '../../store.js';
import { defineStage, stageEvent, type PipelineStage, type StageEvent } from '../stage.js';
import type { OrderReconciler } from './order-reconciler.js';
import { claimedRecommendation, loadRecommendation, resultOfOrder, type RecommendationInput } from './recommendation-input.js';

/** What the fills stage needs from the store itself. */
export type FillsStore = Pick<PipelineStore, 'getRecommendation' | 'getOrder'>;

/** The fills stage's input: the submitted recommendation and its order. */
export interface FillsInput extends RecommendationInput {
  /** The recommendation's order. */
  readonly order: Order;
}

/**
 * Fills: follows the order one step through the reconciler (its schedule and capped backoff on the injected
 * clock, shared with the sweep). A terminal order ends the recommendation in its state; an open one releases
 * the item until the order is due again. Exchange and store failures never count attempts here: the item is
 * released with a backoff, so an outage never dead-letters an order.
 */
export function createFillsStage(reconciler: OrderReconciler, maxBackoffMs: number): PipelineStage<'recommendation', FillsInput, FillsStore> {
  return defineStage({
    name: 'fills',
    takes: { kind: 'recommendation', state: 'SUBMITTED', ordered: false },
    onRetriesExhausted: 'DEAD_LETTER',
    onPermanentFailure: 'DEAD_LETTER',
    async load(claim, context) {
      const recommendation = claimedRecommendation(claim) ?? (await loadRecommendation(claim, context.store));
      const order = await context.store.getOrder(recordId('order', [recommendation.id]));
      if (order === undefined) throw new TradepipeError('not_found', 'The submitted recommendation has no order', { details: { id: claim.id } });
      return { recommendation, order };
    },
    async run({ order }, context) {
      if (TERMINAL_ORDER_STATUSES.includes(order.status)) return resultOfOrder(order);
      const followed = await reconciler.follow(order, context.slotContext);
      const events: StageEvent[] = followed.changed ? [stageEvent('order:updated', { order: followed.order })] : [];
      if (TERMINAL_ORDER_STATUSES.includes(followed.order.status)) return { ...resultOfOrder(followed.order), events };
      return { kind: 'release', delayMs: followed.nextInMs, events };
    },
    async recover(input, failure, context) {
      if (context.signal.aborted || (input === undefined && !isRetryableError(failure))) return undefined;
      context.logger.warn('fills stage failed; following the order again later', { id: context.claim.id, error: failure });
      return { kind: 'release', delayMs: maxBackoffMs };
    },
  });
}
