// Orders that are never abandoned (issue 13): the pipeline with the live executor against the fake Coinbase
// over HTTP on 127.0.0.1, through exchange outages. The pipeline and the store run on a manual clock (the
// outage lasts 40 s of it); the fake and the client's own short retries run on the system clock.
import { afterEach, describe, expect, it } from 'vitest';
import {
  createManualClock,
  createMemoryStore,
  createPipeline,
  isTradepipeError,
  systemClock,
  type ManualClock,
  type Pipeline,
  type PipelineStore,
  type StageContext,
  silentLogger,
} from '@tradepipe/core';
import { createTestApprovalSigner, testApproval, testAssessment, testProduct, testRecommendation } from '@tradepipe/core/testing';
import { CoinbaseOrderExecutor, createCoinbaseClient, parseCdpKey, type CoinbaseClient } from '@tradepipe/coinbase';
import { createTestKeyPair, startFakeCoinbase, type FakeCoinbase } from '@tradepipe/coinbase/testing';

const LIVE = { liveTrading: { enabled: true, acknowledgeRealMoney: true } } as const;
const OUTAGE_MS = 40_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Rig {
  readonly clock: ManualClock;
  readonly store: PipelineStore;
  readonly fake: FakeCoinbase;
  readonly client: CoinbaseClient;
  readonly signer: ReturnType<typeof createTestApprovalSigner>;
  readonly executor: CoinbaseOrderExecutor;
}

/** A fake exchange, a client, a memory store on a manual clock and the live executor; `wrap` adjusts the client. */
async function rig(options: { readonly orderFills?: 'immediate' | 'manual'; readonly wrap?: (client: CoinbaseClient, fake: FakeCoinbase) => CoinbaseClient } = {}): Promise<Rig> {
  const keys = createTestKeyPair();
  const fake = await startFakeCoinbase({ keys: [keys], orderFills: options.orderFills ?? 'immediate', enforceRateLimits: false });
  const raw = createCoinbaseClient({ baseUrl: fake.url, key: parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem }), clock: systemClock, retryBaseDelayMs: 5, maxRetries: 1 });
  cleanups.push(async () => {
    await raw.close();
    await fake.close();
  });
  const client = options.wrap?.(raw, fake) ?? raw;
  const clock = createManualClock(testRecommendation().createdAtMs);
  const store = createMemoryStore({ clock });
  await store.putProduct(testProduct());
  const signer = createTestApprovalSigner();
  const executor = new CoinbaseOrderExecutor({ client, approvalSigner: signer, pollIntervalMs: 10, followTimeoutMs: 0, ...LIVE });
  return { clock, store, fake, client, signer, executor };
}

/** An approved BUY waiting for execution (approval valid 60 s). */
async function approveBuy(kit: Rig) {
  const recommendation = testRecommendation({ createdAtMs: kit.clock.nowMs(), expiresAtMs: kit.clock.nowMs() + 120_000 });
  const { approval, reservation } = testApproval(recommendation, { signer: kit.signer, issuedAtMs: kit.clock.nowMs(), ttlMs: 60_000 });
  await kit.store.insertRecommendation(recommendation, 'PENDING_EXECUTION');
  await kit.store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
  return recommendation;
}

function executionPipeline(kit: Rig): Pipeline {
  return createPipeline({ pipelineId: 'outage', store: kit.store, clock: kit.clock, executor: kit.executor, stages: ['execution', 'fills'], logger: silentLogger });
}

/** Steps the manual clock one second at a time, running the pipeline after each step, until `until` holds. */
async function stepUntil(kit: Rig, pipeline: Pipeline, input: { readonly maxMs: number; readonly at?: (elapsedMs: number) => void; readonly until?: () => Promise<boolean> }): Promise<void> {
  for (let elapsedMs = 0; elapsedMs <= input.maxMs; elapsedMs += 1_000) {
    input.at?.(elapsedMs);
    await pipeline.runUntilIdle();
    if (input.until !== undefined && (await input.until())) return;
    kit.clock.advance(1_000);
  }
}

/** Everything an order that settled leaves behind: its fills, the position, no reservation, the recommendation's end, health. */
async function expectSettled(kit: Rig, pipeline: Pipeline, recommendationId: string): Promise<void> {
  const [exchangeOrder] = kit.fake.orders();
  expect(kit.fake.orders()).toHaveLength(1);
  const [order] = await kit.store.listOrders({});
  expect(order).toMatchObject({ status: 'EXECUTED', exchangeOrderId: exchangeOrder!.order_id });
  expect((await kit.store.listFills(order!.id)).length).toBe(kit.fake.fills().length);
  expect((await kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(exchangeOrder!.filled_size);
  const btc = (await kit.store.listBalances()).find((balance) => balance.currency === 'BTC');
  expect(btc?.available).toBe(exchangeOrder!.filled_size);
  expect(await kit.store.listActiveReservations()).toEqual([]);
  expect((await kit.store.getRecommendation(recommendationId))?.status.state).toBe('EXECUTED');
  expect((await pipeline.health('outage')).status).toBe('ok');
}

describe('an order whose answer was lost, then 40 s of 503s', () => {
  it('is followed through the outage and settles when the exchange answers again', async () => {
    let outage = false;
    const kit = await rig({
      wrap: (client, fake) => ({
        ...client,
        createOrder: async (request, callOptions) => {
          try {
            return await client.createOrder(request, callOptions);
          } finally {
            // The exchange goes down right after accepting the order whose answer it dropped.
            if (!outage) fake.faults.serverErrors(1_000_000);
            outage = true;
          }
        },
      }),
    });
    kit.fake.faults.dropResponses(1);
    const recommendation = await approveBuy(kit);
    const pipeline = executionPipeline(kit);
    await stepUntil(kit, pipeline, { maxMs: OUTAGE_MS });
    expect(outage).toBe(true);
    expect((await kit.store.getRecommendation(recommendation.id))?.status.state).not.toBe('DEAD_LETTER');
    kit.fake.faults.clear();
    await stepUntil(kit, pipeline, {
      maxMs: 10 * 60_000,
      until: async () => (await kit.store.listOrders({}))[0]?.status === 'EXECUTED' && (await kit.store.getRecommendation(recommendation.id))?.status.state === 'EXECUTED',
    });
    await expectSettled(kit, pipeline, recommendation.id);
  });
});

describe('an open order while exchange reads fail for 40 s', () => {
  it('is never dead-lettered and settles after the exchange fills it', async () => {
    const kit = await rig({ orderFills: 'manual' });
    const recommendation = await approveBuy(kit);
    const pipeline = executionPipeline(kit);
    await pipeline.runUntilIdle();
    expect((await kit.store.getRecommendation(recommendation.id))?.status.state).toBe('SUBMITTED');
    kit.fake.faults.serverErrors(1_000_000, { method: 'GET' });
    const exchangeOrderId = String(kit.fake.orders()[0]!.order_id);
    await stepUntil(kit, pipeline, { maxMs: OUTAGE_MS, at: (elapsedMs) => elapsedMs === 20_000 && kit.fake.fillOrder(exchangeOrderId) });
    expect((await kit.store.getRecommendation(recommendation.id))?.status.state).toBe('SUBMITTED');
    kit.fake.faults.clear();
    await stepUntil(kit, pipeline, {
      maxMs: 10 * 60_000,
      until: async () => (await kit.store.getRecommendation(recommendation.id))?.status.state === 'EXECUTED',
    });
    await expectSettled(kit, pipeline, recommendation.id);
  });
});

describe('two executors on one order', () => {
  it('a replica that follows an order another worker already settled takes its state, not FAILED', async () => {
    let other: (() => Promise<unknown>) | undefined;
    const kit = await rig({
      orderFills: 'manual',
      wrap: (client) => ({
        ...client,
        // The paused worker wakes up between this replica's read of the order and its write.
        getOrder: async (orderId, callOptions) => {
          const wire = await client.getOrder(orderId, callOptions);
          const resume = other;
          other = undefined;
          await resume?.();
          return wire;
        },
      }),
    });
    const recommendation = await approveBuy(kit);
    const pipeline = executionPipeline(kit);
    await pipeline.runUntilIdle();
    const [acknowledged] = await kit.store.listOrders({});
    kit.fake.fillOrder(String(acknowledged!.exchangeOrderId));
    const paused = new CoinbaseOrderExecutor({ client: kit.client, approvalSigner: kit.signer, pollIntervalMs: 10, followTimeoutMs: 0, ...LIVE });
    const context: StageContext = { pipelineId: 'outage', clock: kit.clock, logger: silentLogger, signal: new AbortController().signal, store: kit.store };
    other = () => paused.refresh(acknowledged!, context);
    await stepUntil(kit, pipeline, { maxMs: 30_000, until: async () => (await kit.store.getRecommendation(recommendation.id))?.status.state !== 'SUBMITTED' });
    expect((await kit.store.getRecommendation(recommendation.id))?.status.state).toBe('EXECUTED');
    await expectSettled(kit, pipeline, recommendation.id);
  });

  it('a stale worker that would move a settled order back gets a typed order_conflict', async () => {
    const kit = await rig();
    await approveBuy(kit);
    await executionPipeline(kit).runUntilIdle();
    const [executed] = await kit.store.listOrders({});
    expect(executed?.status).toBe('EXECUTED');
    const { exchangeOrderId: _lost, ...unsent } = executed!;
    const stale = { ...unsent, status: 'UNKNOWN' as const };
    const context: StageContext = { pipelineId: 'outage', clock: kit.clock, logger: silentLogger, signal: new AbortController().signal, store: kit.store };
    const error = await kit.executor.refresh(stale, context).catch((thrown: unknown) => thrown);
    expect(isTradepipeError(error) ? error.code : error).toBe('order_conflict');
    expect((await kit.store.listOrders({}))[0]).toEqual(executed);
  });
});

describe('the order reconciler of the fill tracker', () => {
  it('follows an order whose recommendation was dead-lettered (as the previous code did) until the exchange answers, then settles both', async () => {
    let outage = false;
    const kit = await rig({
      wrap: (client, fake) => ({
        ...client,
        createOrder: async (request, callOptions) => {
          try {
            return await client.createOrder(request, callOptions);
          } finally {
            if (!outage) fake.faults.serverErrors(1_000_000); // the search and the re-send after the lost answer fail too
            outage = true;
          }
        },
      }),
    });
    kit.fake.faults.dropResponses(1);
    const recommendation = await approveBuy(kit);
    const context: StageContext = { pipelineId: 'outage', clock: kit.clock, logger: silentLogger, signal: new AbortController().signal, store: kit.store };
    const unknown = await kit.executor.execute({ recommendation, approval: await kit.store.getApproval(recommendation.id) }, context).catch((error: unknown) => error);
    expect(isTradepipeError(unknown) ? unknown.code : unknown).toBe('order_state_unknown');
    expect((await kit.store.listOrders({}))[0]?.status).toBe('UNKNOWN');
    const [claim] = await kit.store.claim({ kind: 'recommendation', state: 'PENDING_EXECUTION', workerId: 'old', leaseMs: 60_000, limit: 1 });
    await kit.store.fail(claim!, { error: { code: 'order_state_unknown', message: 'lost' }, retryable: false, maxAttempts: 5, backoffMs: 0, terminalState: 'DEAD_LETTER' });
    kit.fake.faults.clear();
    const fillTracker = createPipeline({ pipelineId: 'outage', store: kit.store, clock: kit.clock, executor: kit.executor, stages: ['fills'], logger: silentLogger });
    const updates: string[] = [];
    fillTracker.on('order:updated', ({ order }) => void updates.push(order.status));
    const finished: { id: string; state: string; reason: string | undefined }[] = [];
    fillTracker.on('recommendation:finished', ({ recommendation: ended, state, reason }) => void finished.push({ id: ended.id, state, reason }));
    await fillTracker.runUntilIdle();
    const [order] = await kit.store.listOrders({});
    expect(order).toMatchObject({ status: 'EXECUTED', exchangeOrderId: kit.fake.orders()[0]!.order_id });
    expect(updates).toEqual(['EXECUTED']);
    // The dead-lettered recommendation finishes a second time, in its order's state.
    expect(finished).toEqual([{ id: recommendation.id, state: 'EXECUTED', reason: 'order executed after the recommendation was dead_letter' }]);
    expect(kit.fake.orders()).toHaveLength(1);
    expect((await kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(kit.fake.orders()[0]!.filled_size);
    expect(await kit.store.listActiveReservations()).toEqual([]);
    expect((await kit.store.getRecommendation(recommendation.id))?.status.state).toBe('EXECUTED');
    expect((await fillTracker.health('fill-tracker')).status).toBe('ok');
  });
});
