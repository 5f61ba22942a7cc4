import {
  TradepipeError,
  createHmacApprovalSigner,
  decimal,
  signRiskApproval,
  verifyRiskApproval,
  type PipelineStore,
  type RiskApproval,
  type RiskDecisionRecord,
  type StageContext,
  type TradeRecommendation,
} from '@tradepipe/core';
import { createTestApprovalSigner, testOrderIntent, testRecommendation } from '@tradepipe/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRiskManager } from './risk-manager.js';
import { NOW_MS, alternatingCandles, createRiskFixture } from './test-support.js';

const limits = { maxOrderQuote: 500, maxPositionQuote: 2_000, maxTotalExposureQuote: 5_000, maxPortfolioHeat: 0.5, maxDailyLossFraction: 0.05, maxOrdersPerHour: 50 };
const signer = createTestApprovalSigner();
const buy = (hoursAgo = 1, overrides: Partial<TradeRecommendation> = {}): TradeRecommendation =>
  testRecommendation({ candleStartMs: NOW_MS - hoursAgo * 3_600_000, createdAtMs: NOW_MS, referencePrice: 50_000, ...overrides });

/** What an executor does: verify the signature, then consume the approval with the order intent. */
async function place(store: PipelineStore, approval: RiskApproval, nowMs: number, orderApproval = approval) {
  verifyRiskApproval(signer, approval, nowMs);
  return store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(orderApproval, nowMs));
}

async function approved(): Promise<{ store: PipelineStore; context: StageContext; approval: RiskApproval; clock: { advance(ms: number): void } }> {
  const { store, context, clock } = await createRiskFixture();
  const result = await createRiskManager({ limits, signer, approvalTtlMs: 60_000 }).assess(buy(), context);
  return { store, context, clock, approval: result.approval! };
}

const codeOf = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
    return 'placed';
  } catch (error) {
    return error instanceof TradepipeError ? error.code : 'other';
  }
};

describe('approvals cannot be forged, altered, reused or used late', () => {
  it('places one order with a genuine approval, and never a second', async () => {
    const { store, approval } = await approved();
    expect((await place(store, approval, NOW_MS)).status).toBe('consumed');
    expect(await codeOf(place(store, approval, NOW_MS))).toBe('approval_consumed');
  });

  it('refuses an altered approval: the signature no longer matches and the store holds another', async () => {
    const { store, approval } = await approved();
    const altered = { ...approval, maxQuoteAmount: decimal('5000') };
    expect(await codeOf(place(store, altered, NOW_MS))).toBe('approval_invalid');
    expect(await codeOf(store.consumeApprovalAndRecordOrderIntent(altered, testOrderIntent(altered, NOW_MS)))).toBe('approval_invalid');
    expect(await codeOf(place(store, { ...approval, expiresAtMs: approval.expiresAtMs + 3_600_000 }, NOW_MS))).toBe('approval_invalid');
    expect((await place(store, approval, NOW_MS)).status).toBe('consumed');
  });

  it('refuses a forged approval signed with another secret under the same key id', async () => {
    const { store, approval } = await approved();
    const forger = createHmacApprovalSigner({ keyId: signer.keyId, secret: 'not-the-real-secret-0123456789abcdef' });
    const { signature: _signature, keyId: _keyId, algorithm: _algorithm, ...payload } = approval;
    const forged = signRiskApproval(forger, { ...payload, maxQuoteAmount: decimal('500') });
    expect(await codeOf(place(store, forged, NOW_MS))).toBe('approval_invalid');
    expect(await codeOf(store.consumeApprovalAndRecordOrderIntent(forged, testOrderIntent(forged, NOW_MS)))).toBe('approval_invalid');
    const never = signRiskApproval(forger, { ...payload, recommendationId: buy(5).id });
    expect(await codeOf(store.consumeApprovalAndRecordOrderIntent(never, testOrderIntent(never, NOW_MS)))).toBe('approval_invalid');
  });

  it('refuses an order larger than its approval', async () => {
    const { store, approval } = await approved();
    const bigger = { ...testOrderIntent(approval, NOW_MS), quoteSize: decimal('81.26') };
    expect(await codeOf(store.consumeApprovalAndRecordOrderIntent(approval, bigger))).toBe('approval_invalid');
  });

  it('refuses an expired approval, and its exposure is released', async () => {
    const { store, approval, clock } = await approved();
    clock.advance(60_000);
    expect(await codeOf(place(store, approval, NOW_MS + 60_000))).toBe('approval_expired');
    expect(await codeOf(store.consumeApprovalAndRecordOrderIntent(approval, testOrderIntent(approval, NOW_MS + 60_000)))).toBe('approval_expired');
    expect(await store.listActiveReservations()).toEqual([]);
  });
});

describe('two replicas cannot together exceed an exposure limit', () => {
  /** Holds every recordRiskDecision until `parties` have arrived, so both replicas decide on the same state. */
  function withBarrier(store: PipelineStore, parties: number): PipelineStore {
    let waiting: (() => void)[] = [];
    let arrived = 0;
    const record = store.recordRiskDecision.bind(store);
    return Object.assign(Object.create(store) as PipelineStore, {
      async recordRiskDecision(decision: RiskDecisionRecord) {
        arrived += 1;
        if (arrived <= parties) {
          await new Promise<void>((resolve) => {
            waiting.push(resolve);
            if (waiting.length === parties) {
              for (const wake of waiting) wake();
              waiting = [];
            }
          });
        }
        return record(decision);
      },
    });
  }

  it.each([
    [1, ['APPROVE', 'REJECT']],
    [2, ['APPROVE', 'APPROVE']],
  ] as const)('with %i reservation attempt(s) the reserved total stays within the limit', async (attempts, decisions) => {
    const { store, context } = await createRiskFixture();
    const shared = withBarrier(store, 2);
    const tight = { ...limits, maxTotalExposureQuote: 120 };
    const replicas = [1, 2].map(() => createRiskManager({ limits: tight, signer, approvalTtlMs: 60_000, reservationAttempts: attempts }));
    const results = await Promise.all([
      replicas[0]!.assess(buy(1), { ...context, store: shared }),
      replicas[1]!.assess(buy(2), { ...context, store: shared }),
    ]);
    // each alone would take 81.25 (see the hand computation); together 162.5 > 120
    const reserved = (await store.listActiveReservations()).reduce((sum, item) => sum + Number(item.quoteAmount), 0);
    expect(reserved).toBeLessThanOrEqual(120);
    expect(results.map((result) => result.assessment.decision).sort()).toEqual([...decisions]);
    const refused = results.find((result) => result.assessment.decision === 'REJECT');
    if (refused !== undefined) expect(refused.assessment.reasons[0]!.code).toBe('max_total_exposure');
    else expect(reserved).toBeCloseTo(120, 6); // the retry took what was left: 120 − 81.25 = 38.75
  });
  it('cannot together exceed the hourly order limit or the heat limit', async () => {
    for (const [tightened, code] of [
      [{ maxOrdersPerHour: 1 }, 'max_orders_per_hour'],
      [{ maxPortfolioHeat: 0.0095 }, 'max_portfolio_heat'],
    ] as const) {
      const { store, context } = await createRiskFixture();
      const shared = withBarrier(store, 2);
      const replicas = [1, 2].map(() => createRiskManager({ limits: { ...limits, ...tightened }, signer, approvalTtlMs: 60_000, reservationAttempts: 1 }));
      const results = await Promise.all([
        replicas[0]!.assess(buy(1), { ...context, store: shared }),
        replicas[1]!.assess(buy(2), { ...context, store: shared }),
      ]);
      const decisions = results.map((result) => result.assessment.decision).sort();
      expect(decisions, code).toEqual(['APPROVE', 'REJECT']);
      const [reason] = results.find((result) => result.assessment.decision === 'REJECT')!.assessment.reasons;
      // Each replica alone passed the limit on the same snapshot: the store's re-check refused the second.
      expect(reason).toMatchObject({ code, message: expect.stringMatching(/store refused/) });
    }
  });
});

describe('decisions use no candle after the decision time', () => {
  it('gives the same assessment whatever candles exist after now (fast-check, seed 8108)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 20 }), async (futureCloses) => {
        const plain = await createRiskFixture();
        const crowded = await createRiskFixture({ storeAheadMs: futureCloses.length * 3_600_000 }); // the store's clock is past the future candles
        const future = alternatingCandles({ productId: 'BTC-USD', count: futureCloses.length, endMs: NOW_MS + futureCloses.length * 3_600_000, base: 1 }).map((candle, index) => {
          const close = futureCloses[index]!;
          return { ...candle, open: close, high: close, low: close, close };
        });
        await crowded.store.putCandles(future, { state: 'DONE' });
        const options = { limits, signer, approvalTtlMs: 60_000 };
        const a = await createRiskManager(options).assess(buy(), plain.context);
        const b = await createRiskManager(options).assess(buy(), crowded.context);
        expect(b).toEqual(a);
      }),
      { seed: 8108, numRuns: 25 },
    );
  });
});
