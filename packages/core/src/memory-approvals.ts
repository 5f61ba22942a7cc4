import { TradepipeError } from './errors.js';
import { canonicalJson } from './ids.js';
import type { Order } from './records/execution.js';
import type { RiskApproval } from './records/risk.js';
import { checkOrderWithinApproval } from './store-rules.js';

/**
 * The in-memory store's risk approvals, by recommendation, and the ones consumed: an approval is used for one
 * order only, and never once it expired or, for exposure-adding (BUY) orders, while the kill switch is engaged.
 * @internal
 */
export class MemoryApprovals {
  private readonly byRecommendation = new Map<string, RiskApproval>();
  /** Ids of the approvals an order was recorded with. */
  private readonly consumed = new Set<string>();

  /** The approval recorded for a recommendation. */
  get(recommendationId: string): RiskApproval | undefined {
    return this.byRecommendation.get(recommendationId);
  }

  /** Records an approval (the caller has checked that its recommendation has none). */
  add(approval: RiskApproval): void {
    this.byRecommendation.set(approval.recommendationId, approval);
  }

  /** Whether the recommendation's approval was consumed (an order was recorded with it). */
  isConsumedFor(recommendationId: string): boolean {
    const approval = this.byRecommendation.get(recommendationId);
    return approval !== undefined && this.consumed.has(approval.id);
  }

  /**
   * The stored approval an order may be recorded with now: the same content as the one recorded, not consumed,
   * not expired, not a BUY while the kill switch is engaged, and the order within its limits.
   * @throws TradepipeError `approval_invalid`, `approval_consumed`, `kill_switch_engaged`, `approval_expired`,
   *   or what {@link checkOrderWithinApproval} throws
   */
  checkConsumable(approval: RiskApproval, order: Order, now: { readonly killSwitchEngaged: boolean; readonly nowMs: number }): RiskApproval {
    const stored = this.byRecommendation.get(approval.recommendationId);
    const details = { approvalId: approval.id, recommendationId: approval.recommendationId };
    // The executor usually hands back the very record `getApproval` gave: the same object is the same content.
    if (stored === undefined || (stored !== approval && canonicalJson(stored) !== canonicalJson(approval))) {
      throw new TradepipeError('approval_invalid', 'The approval does not match the one risk recorded', { details });
    }
    if (this.consumed.has(stored.id)) throw new TradepipeError('approval_consumed', 'The approval was already used', { details });
    if (stored.side === 'BUY' && now.killSwitchEngaged) {
      throw new TradepipeError('kill_switch_engaged', 'The kill switch is engaged: no new exposure is placed', { details });
    }
    if (now.nowMs >= stored.expiresAtMs) throw new TradepipeError('approval_expired', 'The approval has expired', { details });
    checkOrderWithinApproval(stored, order);
    return stored;
  }

  /** Marks a stored approval consumed. */
  consume(approval: RiskApproval): void {
    this.consumed.add(approval.id);
  }
}
