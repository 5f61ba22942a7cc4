// Issue 13: a 429 proves that Coinbase placed nothing. Whether it answers the first send or a re-send, the order
// is neither marked UNKNOWN nor abandoned: it is sent again (same client_order_id) until Coinbase accepts it, or
// it fails cleanly once its approval has expired. Driven through the pipeline on a manual clock, against the fake.
import { afterEach, describe, expect, it } from 'vitest';
import { createPipeline, type Order, type Pipeline } from '@tradepipe/core';
import { CoinbaseOrderExecutor } from './index.js';
import { createExecutorKit, type ExecutorKit } from './executor-test-kit.js';
import { startFakeSetup, type FakeSetup } from './test-fixtures.js';

const LIVE = { liveTrading: { enabled: true, acknowledgeRealMoney: true } };
let setup: FakeSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

interface Harness {
  readonly kit: ExecutorKit;
  readonly setup: FakeSetup;
  readonly pipeline: Pipeline;
  readonly statusesSeen: Order['status'][];
}

async function harness(): Promise<Harness> {
  const kit = await createExecutorKit({ startAtMs: Date.now() });
  // The fake and the client read the pipeline's manual clock; the client waits out 429s in real time (its
  // networkClock), with a 1 ms base backoff and 3 tries per send. Only the scripted 429s limit the rate here.
  setup = await startFakeSetup({ clock: kit.clock, fake: { enforceRateLimits: false }, client: { retryBaseDelayMs: 1, maxRateLimitRetries: 2, privateRatePerSecond: 10_000 } });
  const executor = new CoinbaseOrderExecutor({ client: setup.client, approvalSigner: kit.signer, followTimeoutMs: 0, ...LIVE });
  const pipeline = createPipeline({ pipelineId: 'test', store: kit.store, executor, stages: ['execution', 'fills'], clock: kit.clock, tuning: { orderPollIntervalMs: 2_000 } });
  const statusesSeen: Order['status'][] = [];
  pipeline.on('order:updated', ({ order }) => void statusesSeen.push(order.status));
  return { kit, setup, pipeline, statusesSeen };
}

/** Runs the pipeline, one second of the manual clock at a time, until the recommendation ends (or 5 minutes pass). */
async function runUntilFinished(h: Harness, recommendationId: string): Promise<string | undefined> {
  for (let second = 0; second < 300; second += 1) {
    await h.pipeline.runUntilIdle();
    const state = (await h.kit.store.getRecommendation(recommendationId))?.status.state;
    if (state === 'EXECUTED' || state === 'FAILED' || state === 'REJECTED' || state === 'DEAD_LETTER') return state;
    h.kit.clock.advance(1_000);
  }
  return (await h.kit.store.getRecommendation(recommendationId))?.status.state;
}

const postOrderStatuses = (fake: FakeSetup['fake']): (number | 'dropped')[] =>
  fake.requests.filter((request) => request.method === 'POST' && request.path === '/orders').map((request) => request.status);

describe('live executor in the pipeline: 429 on POST /orders', () => {
  it('35 × 429 (first send and re-sends) delay the order, never make it UNKNOWN: placed once when Coinbase accepts', async () => {
    const h = await harness();
    h.setup.fake.faults.rateLimitBurst(35, { method: 'POST', path: '/orders' });
    const { recommendation } = await h.kit.approve();

    expect(await runUntilFinished(h, recommendation.id)).toBe('EXECUTED');

    expect(postOrderStatuses(h.setup.fake)).toEqual([...Array<number>(35).fill(429), 200]);
    expect(h.setup.fake.orders()).toHaveLength(1);
    const [order] = await h.kit.store.listOrders({});
    expect(order).toMatchObject({ status: 'EXECUTED', exchangeOrderId: h.setup.fake.orders()[0]!.order_id });
    expect(h.setup.fake.orders()[0]!.client_order_id).toBe(order!.clientOrderId);
    expect(h.statusesSeen).not.toContain('UNKNOWN');
    expect((await h.kit.store.getPosition('BTC-USD'))?.sizeBase).toBe(h.setup.fake.orders()[0]!.filled_size);
    expect(await h.kit.store.listActiveReservations()).toEqual([]);
    const health = await h.pipeline.health();
    expect(health.status).toBe('ok');
  });

  it('429s past the approval end the order FAILED with nothing on the exchange, no dead letter, no UNKNOWN', async () => {
    const h = await harness();
    h.setup.fake.faults.rateLimitBurst(100_000, { method: 'POST', path: '/orders' });
    const { recommendation } = await h.kit.approve(); // approval TTL 60 s

    expect(await runUntilFinished(h, recommendation.id)).toBe('FAILED');

    expect(h.setup.fake.orders()).toHaveLength(0);
    expect((await h.kit.store.listOrders({}))[0]).toMatchObject({ status: 'FAILED', statusReason: 'APPROVAL_EXPIRED_BEFORE_SEND' });
    expect(h.statusesSeen).not.toContain('UNKNOWN');
    expect(await h.kit.store.listActiveReservations()).toEqual([]);
    const health = await h.pipeline.health();
    expect(health.checks.find((check) => check.name === 'dead_letters')?.value).toBe(0);
    expect(health.checks.find((check) => check.name === 'unknown_orders')?.value).toBe(0);
  });
});
