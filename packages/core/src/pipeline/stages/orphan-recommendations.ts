import type { Logger } from '../../logger.js';
import type { Order } from '../../records/execution.js';
import type { RecommendationState } from '../../records/trading.js';
import type { Claim, PipelineStore } from '../../store.js';
import { stateOfOrder } from './recommendation-input.js';

/** What settling an orphaned recommendation needs from the store: the queue only. */
export type OrphanStore = Pick<PipelineStore, 'claim' | 'complete' | 'release'>;

const PAGE = 200;
const MAX_PAGES = 20;

/**
 * Moves a recommendation that ended before its order (dead-lettered or failed by an older version, while its
 * order was still open) to its order's final state, through the queue: items in its state are claimed page by
 * page until it is among them, it is completed in the order's state, the others are released untouched.
 * @returns the state and reason it was moved to, or `undefined` when it was not among the claimed items
 * @internal
 */
export async function settleOrphanedRecommendation(input: {
  readonly store: OrphanStore;
  readonly order: Order;
  readonly recommendationState: RecommendationState;
  readonly workerId: string;
  readonly logger: Logger;
}): Promise<{ readonly state: RecommendationState; readonly reason: string } | undefined> {
  const { store, order } = input;
  const held: Claim<'recommendation'>[] = [];
  let target: Claim<'recommendation'> | undefined;
  try {
    for (let page = 0; page < MAX_PAGES && target === undefined; page += 1) {
      const claims = await store.claim({ kind: 'recommendation', state: input.recommendationState, workerId: input.workerId, leaseMs: 60_000, limit: PAGE });
      target = claims.find((claim) => claim.id === order.recommendationId);
      held.push(...claims.filter((claim) => claim !== target));
      if (claims.length < PAGE) break;
    }
    if (target === undefined) return undefined;
    const reason = `order ${order.status.toLowerCase()} after the recommendation was ${input.recommendationState.toLowerCase()}`;
    const state = stateOfOrder(order);
    await store.complete(target, { state, reason });
    input.logger.info('recommendation settled with its order', { recommendationId: order.recommendationId, from: input.recommendationState, to: state });
    return { state, reason };
  } finally {
    for (const claim of held) await store.release(claim).catch(() => undefined);
  }
}
