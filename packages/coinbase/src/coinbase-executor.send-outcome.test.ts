// Second review of the live money path: an order that may have been placed is never declared REJECTED or FAILED
// before a search long enough to see it, a lost answer is searched for before it is re-sent, and the kill switch
// stops a BUY's re-send. Each test runs the live executor against the fake Coinbase over HTTP, on real stores,
// driven through the pipeline (execution and fills, the reconciler's backoff) on a manual clock.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, decimal, createMemoryStore, createPipeline, isTradepipeError, silentLogger, type ManualClock, type Order, type Pipeline, type PipelineStore, type StageContext } from '@tradepipe/core';
import { createTestApprovalSigner, testApproval, testAssessment, testProduct, testRecommendation } from '@tradepipe/core/testing';
import { createPgliteStore } from '@tradepipe/storage-pg';
import { CoinbaseOrderExecutor } from './coinbase-executor.js';
import { startFakeSetup, type FakeSetup } from './test-fixtures.js';

const LIVE = { liveTrading: { enabled: true, acknowledgeRealMoney: true } };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Rig {
  readonly clock: ManualClock;
  readonly setup: FakeSetup;
  readonly signer: ReturnType<typeof createTestApprovalSigner>;
  store: PipelineStore;
  executor: CoinbaseOrderExecutor;
  context: StageContext;
}

/** A store on a manual clock, the fake on the same clock, a client that waits out 429s in real time (1 ms base). */
async function rig(store: (clock: ManualClock) => Promise<PipelineStore> = async (clock) => createMemoryStore({ clock })): Promise<Rig> {
  const clock = createManualClock(Date.now());
  const setup = await startFakeSetup({ clock, fake: { enforceRateLimits: false, balances: { USD: '10000', BTC: '1' } }, client: { retryBaseDelayMs: 1, maxRateLimitRetries: 2, privateRatePerSecond: 10_000 } });
  cleanups.push(() => setup.close());
  const signer = createTestApprovalSigner();
  const opened = await store(clock);
  const r: Rig = { clock, setup, signer, store: opened, executor: undefined!, context: undefined! };
  attach(r, opened);
  return r;
}

/** (Re)starts the executor side on a store: what a restarted process does. */
function attach(r: Rig, store: PipelineStore): void {
  r.store = store;
  r.executor = new CoinbaseOrderExecutor({ client: r.setup.client, approvalSigner: r.signer, followTimeoutMs: 0, ...LIVE });
  r.context = { pipelineId: 'test', clock: r.clock, logger: silentLogger, signal: new AbortController().signal, store };
}

async function approve(r: Rig, side: 'BUY' | 'SELL' = 'BUY', index = 0) {
  await r.store.putProduct(testProduct());
  const recommendation = testRecommendation({ createdAtMs: r.clock.nowMs(), side, index, ...(side === 'SELL' ? { baseSize: decimal('0.0005') } : {}) });
  const { approval, reservation } = testApproval(recommendation, { signer: r.signer, issuedAtMs: r.clock.nowMs(), ttlMs: 60_000 });
  await r.store.insertRecommendation(recommendation, 'PENDING_EXECUTION');
  await r.store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
  return { recommendation, approval };
}

function pipelineOf(r: Rig): { pipeline: Pipeline; statusesSeen: Order['status'][] } {
  const pipeline = createPipeline({ pipelineId: 'test', store: r.store, executor: r.executor, stages: ['execution', 'fills'], clock: r.clock, tuning: { orderPollIntervalMs: 2_000, baseBackoffMs: 1_000, maxBackoffMs: 30_000 } });
  const statusesSeen: Order['status'][] = [];
  pipeline.on('order:updated', ({ order }) => void statusesSeen.push(order.status));
  return { pipeline, statusesSeen };
}

const TERMINAL = ['EXECUTED', 'FAILED', 'REJECTED', 'DEAD_LETTER'];

/** Runs the pipeline, `stepMs` of the manual clock at a time, until the recommendation ends or `forMs` pass. */
async function runUntilFinished(r: Rig, pipeline: Pipeline, recommendationId: string, forMs: number, stepMs = 1_000): Promise<string | undefined> {
  for (let elapsedMs = 0; elapsedMs <= forMs; elapsedMs += stepMs) {
    await pipeline.runUntilIdle();
    const state = (await r.store.getRecommendation(recommendationId))?.status.state;
    if (state !== undefined && TERMINAL.includes(state)) return state;
    r.clock.advance(stepMs);
  }
  return (await r.store.getRecommendation(recommendationId))?.status.state;
}

const posts = (r: Rig): (number | 'dropped')[] => r.setup.fake.requests.filter((q) => q.method === 'POST' && q.path === '/orders').map((q) => q.status);
const searches = (r: Rig): number => r.setup.fake.requests.filter((q) => q.method === 'GET' && q.path === '/orders/historical/batch').length;

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function expectSettledOnFake(r: Rig, order: Order | undefined): Promise<void> {
  expect(r.setup.fake.orders()).toHaveLength(1);
  const onFake = r.setup.fake.orders()[0]!;
  expect(order).toMatchObject({ status: 'EXECUTED', exchangeOrderId: onFake.order_id, filledBaseSize: onFake.filled_size });
  expect((await r.store.getPosition('BTC-USD'))?.sizeBase).toBe(onFake.filled_size);
  expect(await r.store.listActiveReservations()).toEqual([]);
}

describe('live executor: a crash while POST /orders is in flight', () => {
  it('leaves the order UNKNOWN, so a refused re-send and a lagging order list never end it REJECTED (PGlite, restarted)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tradepipe-crash-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const r = await rig((clock) => createPgliteStore({ dataDir, clock }));
    const { recommendation, approval } = await approve(r);
    r.setup.fake.faults.latency(300); // time to "kill" the process while the order request is in flight
    const sending = r.executor.execute({ recommendation, approval }, r.context).then(() => 'returned', (error: unknown) => error);
    await waitFor(() => r.setup.fake.received.some((q) => q.method === 'POST' && q.path === '/orders'), 'POST /orders to arrive');
    await r.store.close(); // the process dies: nothing after the send is recorded (the database closes with it)
    await sending;
    await waitFor(() => r.setup.fake.orders().length === 1, 'the order to be placed');
    r.setup.fake.faults.latency(0);

    // Restarted on the same database; the exchange refuses the duplicate and its order list lags by 5 minutes.
    attach(r, await createPgliteStore({ dataDir, clock: r.clock }));
    cleanups.push(() => r.store.close());
    const stored = await r.store.getOrder((await r.store.listOrders({}))[0]!.id);
    expect(stored).toMatchObject({ status: 'UNKNOWN', statusReason: 'SEND_IN_FLIGHT' }); // recorded before the send
    r.setup.fake.faults.refuseDuplicateOrders(1_000);
    r.setup.fake.faults.orderListLag(5 * 60_000);
    const { pipeline, statusesSeen } = pipelineOf(r);

    expect(await runUntilFinished(r, pipeline, recommendation.id, 10 * 60_000, 10_000)).toBe('EXECUTED');

    expect(statusesSeen).not.toContain('REJECTED');
    await expectSettledOnFake(r, (await r.store.listOrders({}))[0]);
  });
});

describe('live executor: an order whose outcome is unknown when its approval expires', () => {
  it('keeps searching with backoff past the expiry and follows the order when the exchange shows it; never re-sent after expiry', async () => {
    const r = await rig();
    const { recommendation, approval } = await approve(r); // approval TTL 60 s
    r.setup.fake.faults.dropResponses(2); // placed, answer lost (and a re-send's answer lost too)
    r.setup.fake.faults.orderListLag(5 * 60_000);
    const first = await r.executor.execute({ recommendation, approval }, r.context).catch((error: unknown) => error);
    expect(isTradepipeError(first, 'order_state_unknown')).toBe(true);
    expect(r.setup.fake.orders()).toHaveLength(1);
    r.setup.fake.faults.clear();
    r.setup.fake.faults.orderListLag(5 * 60_000);
    r.clock.advance(61_000); // the approval has expired
    const postsAtExpiry = posts(r).length;
    const searchesAtExpiry = searches(r);
    const { pipeline, statusesSeen } = pipelineOf(r);

    expect(await runUntilFinished(r, pipeline, recommendation.id, 10 * 60_000)).toBe('EXECUTED');

    expect(posts(r)).toHaveLength(postsAtExpiry);
    expect(searches(r) - searchesAtExpiry).toBeGreaterThan(4); // looked again and again
    expect(searches(r) - searchesAtExpiry).toBeLessThan(200); // with backoff, not every second
    expect(statusesSeen).not.toContain('FAILED');
    await expectSettledOnFake(r, (await r.store.listOrders({}))[0]);
  });

  it('ends an order never placed FAILED only after the documented search window, reservation released, never re-sent', async () => {
    const r = await rig();
    const { recommendation, approval } = await approve(r);
    r.setup.fake.faults.dropRequests(50); // every send is cut before the exchange processes it
    const first = await r.executor.execute({ recommendation, approval }, r.context).catch((error: unknown) => error);
    expect(isTradepipeError(first, 'order_state_unknown')).toBe(true);
    r.clock.advance(61_000);
    const postsAtExpiry = posts(r).length;
    const { pipeline } = pipelineOf(r);

    expect(await runUntilFinished(r, pipeline, recommendation.id, 60_000)).toBe('SUBMITTED'); // 2 minutes after the send: still searching
    expect((await r.store.listOrders({}))[0]?.status).toBe('UNKNOWN');
    expect(await r.store.listActiveReservations()).toHaveLength(1);

    expect(await runUntilFinished(r, pipeline, recommendation.id, 20 * 60_000, 5_000)).toBe('FAILED');
    const order = (await r.store.listOrders({}))[0]!;
    expect(order).toMatchObject({ status: 'FAILED', statusReason: 'NOT_FOUND_ON_EXCHANGE' });
    expect(order.completedAtMs! - order.submittedAtMs!).toBeGreaterThanOrEqual(10 * 60_000);
    expect(posts(r)).toHaveLength(postsAtExpiry);
    expect(r.setup.fake.orders()).toHaveLength(0);
    expect(await r.store.listActiveReservations()).toEqual([]);
  });
});

describe('live executor: two workers holding the same unsent order', () => {
  it('the one with a stale copy re-reads (order_conflict) instead of calling a refused duplicate REJECTED while the other\'s send placed it', async () => {
    const r = await rig();
    const { recommendation, approval } = await approve(r);
    r.setup.fake.faults.rateLimitBurst(3, { method: 'POST', path: '/orders' }); // the first send places nothing
    await r.executor.execute({ recommendation, approval }, r.context);
    const stale = (await r.store.listOrders({}))[0]!;
    expect(stale).toMatchObject({ status: 'SUBMITTED', statusReason: 'NOTHING_PLACED' });
    // Worker A re-sends: its send is in flight (recorded) and reaches the exchange, which places the order.
    await r.store.updateOrder(stale.id, { status: 'UNKNOWN', statusReason: 'SEND_IN_FLIGHT', submittedAtMs: r.clock.nowMs(), updatedAtMs: r.clock.nowMs() });
    await r.setup.client.createOrder({ clientOrderId: stale.clientOrderId, productId: stale.productId, side: 'BUY', configuration: { type: 'market_ioc', quoteSize: decimal('10') } });
    // Worker B still holds the copy that says nothing was placed; the exchange refuses its duplicate.
    r.setup.fake.faults.refuseDuplicateOrders(1);
    const outcome = await r.executor.refresh(stale, r.context).catch((error: unknown) => error);
    expect(isTradepipeError(outcome, 'order_conflict')).toBe(true);
    expect((await r.store.listOrders({}))[0]).toMatchObject({ status: 'UNKNOWN', statusReason: 'SEND_IN_FLIGHT' });
    expect(await r.store.listActiveReservations()).toHaveLength(1);
    // Re-read, the order is searched for and found: never REJECTED while it is on the exchange.
    const found = await r.executor.refresh((await r.store.listOrders({}))[0]!, r.context);
    expect(found.status).not.toBe('REJECTED');
    expect(found.exchangeOrderId).toBeDefined();
  });
});

describe('live executor: a search cut short by its page limit', () => {
  it('proves nothing: the order stays UNKNOWN past the search window, and ends FAILED only after a full scan misses it', async () => {
    const r = await rig();
    // 260 other orders of the product: more than one page of 250.
    for (let index = 0; index < 260; index += 1) {
      await r.setup.client.createOrder({ clientOrderId: `other-${index}`, productId: 'BTC-USD', side: 'BUY', configuration: { type: 'market_ioc', quoteSize: decimal('1') } });
    }
    r.executor = new CoinbaseOrderExecutor({ client: r.setup.client, approvalSigner: r.signer, followTimeoutMs: 0, unknownSearchPages: 1, ...LIVE });
    const { recommendation, approval } = await approve(r);
    r.setup.fake.faults.dropRequests(50); // never placed, but the executor cannot know
    await r.executor.execute({ recommendation, approval }, r.context).catch(() => undefined);
    r.clock.advance(61_000);
    const { pipeline } = pipelineOf(r);

    expect(await runUntilFinished(r, pipeline, recommendation.id, 20 * 60_000, 5_000)).toBe('SUBMITTED');
    expect((await r.store.listOrders({ statuses: ['UNKNOWN'] })).map((order) => order.recommendationId)).toEqual([recommendation.id]);
    expect(await r.store.listActiveReservations()).toHaveLength(1);

    // Room for the whole list: the full scan misses it, and only then is it declared never placed.
    r.executor = new CoinbaseOrderExecutor({ client: r.setup.client, approvalSigner: r.signer, followTimeoutMs: 0, ...LIVE });
    expect(await runUntilFinished(r, pipelineOf(r).pipeline, recommendation.id, 5 * 60_000, 5_000)).toBe('FAILED');
    expect((await r.store.listOrders({ statuses: ['FAILED'] }))[0]).toMatchObject({ recommendationId: recommendation.id, statusReason: 'NOT_FOUND_ON_EXCHANGE' });
    expect(await r.store.listActiveReservations()).toEqual([]);
  });
});

describe('live executor: the kill switch engaged between a 429 and the re-send', () => {
  it('re-sends no BUY: the order ends FAILED (KILL_SWITCH_ENGAGED), nothing on the exchange, reservation released', async () => {
    const r = await rig();
    const { recommendation } = await approve(r);
    r.setup.fake.faults.rateLimitBurst(3, { method: 'POST', path: '/orders' }); // the first send: 3 × 429
    const { pipeline } = pipelineOf(r);
    await r.executor.execute({ recommendation, approval: (await r.store.getApproval(recommendation.id))! }, r.context);
    expect((await r.store.listOrders({}))[0]?.status).toBe('SUBMITTED');
    await r.store.updateRiskState({ killSwitch: { engaged: true, mode: 'freeze', reason: 'operator', changedAtMs: r.clock.nowMs() }, updatedAtMs: r.clock.nowMs() });

    expect(await runUntilFinished(r, pipeline, recommendation.id, 60_000)).toBe('FAILED');

    expect(posts(r)).toEqual([429, 429, 429]);
    expect(r.setup.fake.orders()).toHaveLength(0);
    expect((await r.store.listOrders({}))[0]).toMatchObject({ status: 'FAILED', statusReason: 'KILL_SWITCH_ENGAGED' });
    expect(await r.store.listActiveReservations()).toEqual([]);
  });

  it('never re-sends a BUY whose first request was cut: searched for, then FAILED after the search window', async () => {
    const r = await rig();
    const { recommendation, approval } = await approve(r);
    r.setup.fake.faults.dropRequests(1); // cut before the exchange processed it: nothing placed, but the executor cannot know
    await expect(r.executor.execute({ recommendation, approval }, r.context)).rejects.toMatchObject({ code: 'order_state_unknown' });
    await r.store.updateRiskState({ killSwitch: { engaged: true, mode: 'freeze', reason: 'operator', changedAtMs: r.clock.nowMs() }, updatedAtMs: r.clock.nowMs() });
    const { pipeline } = pipelineOf(r);

    expect(await runUntilFinished(r, pipeline, recommendation.id, 15 * 60_000, 5_000)).toBe('FAILED');

    expect(posts(r)).toEqual(['dropped']);
    expect(r.setup.fake.orders()).toHaveLength(0);
    expect((await r.store.listOrders({}))[0]).toMatchObject({ status: 'FAILED', statusReason: 'NOT_FOUND_ON_EXCHANGE' });
    expect(await r.store.listActiveReservations()).toEqual([]);
  });

  it('still re-sends a SELL (reducing orders stay allowed, as when the approval is consumed)', async () => {
    const r = await rig();
    await r.executor.execute(await approve(r), r.context); // a position to reduce
    const { recommendation } = await approve(r, 'SELL', 1);
    r.setup.fake.faults.rateLimitBurst(3, { method: 'POST', path: '/orders' });
    const { pipeline } = pipelineOf(r);
    await r.executor.execute({ recommendation, approval: (await r.store.getApproval(recommendation.id))! }, r.context);
    await r.store.updateRiskState({ killSwitch: { engaged: true, mode: 'flatten', reason: 'operator', changedAtMs: r.clock.nowMs() }, updatedAtMs: r.clock.nowMs() });

    expect(await runUntilFinished(r, pipeline, recommendation.id, 60_000)).toBe('EXECUTED');

    expect(posts(r)).toEqual([200, 429, 429, 429, 200]);
    expect(r.setup.fake.orders()).toHaveLength(2);
    expect((await r.store.listOrders({})).map((order) => order.status)).toEqual(['EXECUTED', 'EXECUTED']);
  });
});

describe('live executor: a lost answer', () => {
  it('is searched for, not re-sent in the same attempt (resend: false); the next attempt re-sends the same client_order_id', async () => {
    const r = await rig();
    const { recommendation, approval } = await approve(r);
    r.setup.fake.faults.dropResponses(1);
    r.setup.fake.faults.orderListLag(60_000);
    const first = await r.executor.execute({ recommendation, approval }, r.context).catch((error: unknown) => error);
    expect(isTradepipeError(first, 'order_state_unknown')).toBe(true);
    expect(posts(r)).toEqual(['dropped']);
    expect((await r.store.listOrders({}))[0]?.status).toBe('UNKNOWN');

    const { pipeline } = pipelineOf(r);
    expect(await runUntilFinished(r, pipeline, recommendation.id, 60_000)).toBe('EXECUTED');
    expect(posts(r)).toEqual(['dropped', 200]);
    await expectSettledOnFake(r, (await r.store.listOrders({}))[0]);
  });
});
