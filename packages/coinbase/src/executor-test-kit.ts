import { createMemoryStore, createManualClock, decimal, silentLogger, type Logger, type ManualClock, type PipelineStore, type Product, type RiskApproval, type StageContext, type TradeRecommendation } from '@tradepipe/core';
import { createTestApprovalSigner, testApproval, testAssessment, testProduct, testRecommendation } from '@tradepipe/core/testing';

/** A memory store with a manual clock and one approved recommendation, for executor tests. @internal */
export interface ExecutorKit {
  readonly clock: ManualClock;
  readonly store: PipelineStore;
  readonly context: StageContext;
  readonly signer: ReturnType<typeof createTestApprovalSigner>;
  readonly product: Product;
  /** Records an approved recommendation (BUY $100 by default) and returns it with its approval. */
  approve(overrides?: Partial<TradeRecommendation> & { readonly index?: number }): Promise<{ readonly recommendation: TradeRecommendation; readonly approval: RiskApproval }>;
}

/** Builds the kit; the clock starts at the first recommendation's creation. @internal */
export async function createExecutorKit(options: { readonly logger?: Logger; readonly product?: Partial<Product>; readonly startAtMs?: number } = {}): Promise<ExecutorKit> {
  const first = testRecommendation();
  const clock = createManualClock(options.startAtMs ?? first.createdAtMs);
  const store = createMemoryStore({ clock });
  const signer = createTestApprovalSigner();
  const product = testProduct(options.product);
  await store.putProduct(product);
  const context: StageContext = { pipelineId: 'test', clock, logger: options.logger ?? silentLogger, signal: new AbortController().signal, store };
  return {
    clock,
    store,
    context,
    signer,
    product,
    async approve(overrides = {}) {
      const recommendation = testRecommendation({ createdAtMs: clock.nowMs(), ...overrides });
      const { approval, reservation } = testApproval(recommendation, { signer, issuedAtMs: clock.nowMs(), ttlMs: 60_000 });
      await store.insertRecommendation(recommendation, 'PENDING_EXECUTION');
      await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
      return { recommendation, approval };
    },
  };
}

/** Puts balances in the store. @internal */
export async function fund(kit: ExecutorKit, balances: Readonly<Record<string, string>>): Promise<void> {
  await kit.store.putBalances(Object.entries(balances).map(([currency, available]) => ({ currency, available: decimal(available), hold: decimal('0'), updatedAtMs: kit.clock.nowMs() })));
}
