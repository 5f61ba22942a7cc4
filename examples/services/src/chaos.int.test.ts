// Chaos test of the deployed mode in LIVE mode: the services as child processes over PostgreSQL, trading on
// the fake Coinbase with a CDP key made at test time. One BUY reaches the trade-executor, which is SIGKILLed
// at the worst moment of order placement; a new trade-executor (and fill-tracker) must settle the order
// without ever placing it twice (the promise of packages/coinbase/src/coinbase-executor.ts: intent recorded
// before the request, reconciled by search, then re-sent with the same client_order_id).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addDecimal, clientOrderIdFor, compareDecimal, decimal, type Order } from '@tradepipe/core';
import { CHAOS_DATABASE, CHAOS_LEASE_MS, killHard, postgresAvailable, startLiveDeployment, type LiveDeployment } from './chaos-deployment.js';
import { MIDNIGHT_MARGIN_MS, findBuyWindow, nowClearOfUtcMidnight, type DecisionWindow } from './e2e-candles.js';
import { SETTLE_BUDGET_MS, START_BUDGET_MS, STOP_BUDGET_MS, get, waitFor, waitReady } from './e2e-processes.js';

const available = await postgresAvailable();
if (!available) {
  const message = `PostgreSQL is not reachable at ${CHAOS_DATABASE.host}:${CHAOS_DATABASE.port}/${CHAOS_DATABASE.database}: the services chaos test is SKIPPED`;
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') throw new Error(`${message} (and CI is set, so this fails)`);
  process.stderr.write(`\n!!! ${message}\n\n`);
}

/**
 * How long the fake holds every request before handling it: the window in which the executor is killed. Long,
 * so that a kill sent late on a loaded machine still lands inside it.
 */
const LATENCY_MS = 6_000;
const FINISHED = ['EXECUTED', 'REJECTED', 'FAILED', 'EXPIRED', 'DEAD_LETTER'];

describe.skipIf(!available)('live services survive a SIGKILLed trade-executor (fake Coinbase, PostgreSQL)', () => {
  let window: DecisionWindow;
  let deployment: LiveDeployment | undefined;

  beforeAll(async () => {
    window = await findBuyWindow(await nowClearOfUtcMidnight());
  }, START_BUDGET_MS + MIDNIGHT_MARGIN_MS);

  afterEach(async () => {
    const codes = await deployment?.stop();
    deployment = undefined;
    // Every process still running at the end drains and exits cleanly.
    expect(codes ?? []).toEqual((codes ?? []).map(() => 0));
  }, STOP_BUDGET_MS + 60_000);

  const failWithLogs =
    (live: LiveDeployment) =>
    (error: unknown): never => {
      throw new Error(`${String(error)}\n${live.logs(12)}`);
    };

  /**
   * Brings the BUY to PENDING_EXECUTION (executor not running yet), arms the fake (latency on every request
   * plus `arm`), starts the trade-executor and SIGKILLs it — and the fill-tracker, as if their node died —
   * while its POST /orders sits in the fake's latency: after the intent was recorded and the request left.
   */
  async function killDuringPostOrders(live: LiveDeployment, arm: () => void): Promise<{ readonly clientOrderId: string }> {
    const clientOrderId = clientOrderIdFor(live.recommendationId);
    await waitFor(
      'the BUY to reach PENDING_EXECUTION',
      async () => ((await live.store.getRecommendation(live.recommendationId))?.status.state === 'PENDING_EXECUTION' ? true : undefined),
      START_BUDGET_MS,
      100,
    ).catch(failWithLogs(live));
    live.coinbase.faults.latency(LATENCY_MS);
    arm();
    const executor = live.spawn('trade-executor');
    // The executor records the order UNKNOWN (send in flight) just before POST /orders leaves.
    const submitted = await waitFor('the order to be recorded UNKNOWN (send in flight)', async () => {
      const order = await live.store.getOrderByClientOrderId(clientOrderId);
      return order?.status === 'UNKNOWN' && order.statusReason === 'SEND_IN_FLIGHT' ? order : undefined;
    }, START_BUDGET_MS, 20).catch(failWithLogs(live));
    expect(submitted.exchangeOrderId).toBeUndefined();
    await waitFor('POST /orders to reach the fake', async () => (live.coinbase.received.some((request) => request.method === 'POST' && request.path === '/orders') ? true : undefined), SETTLE_BUDGET_MS, 20);
    // The kill lands inside the window: the fake has not handled POST /orders yet (no order, nothing logged).
    const postsBeforeKill = live.coinbase.requests.filter((request) => request.method === 'POST' && request.path === '/orders').length;
    const ordersBeforeKill = live.coinbase.orders().length;
    await Promise.all([killHard(executor), killHard(live.processes.find((service) => service.name === 'fill-tracker')!)]);
    expect({ postsBeforeKill, ordersBeforeKill }).toEqual({ postsBeforeKill: 0, ordersBeforeKill: 0 });
    // The orphaned request is handled by the fake after the executor died (the scripted fault used up).
    await waitFor('the fake to handle the orphaned POST /orders', async () => (live.coinbase.requests.some((request) => request.method === 'POST' && request.path === '/orders') ? true : undefined), SETTLE_BUDGET_MS, 20);
    live.coinbase.faults.clear();
    // Nobody knows yet: the order row stays UNKNOWN (send in flight) without an exchange id, the recommendation
    // leased to a dead worker; the restarted executor searches for it and never calls it rejected unseen.
    expect(await live.store.getOrderByClientOrderId(clientOrderId)).toMatchObject({ status: 'UNKNOWN', statusReason: 'SEND_IN_FLIGHT' });
    expect((await live.store.getRecommendation(live.recommendationId))?.status.state).toBe('PENDING_EXECUTION');
    return { clientOrderId };
  }

  /** Restarts trade-executor and fill-tracker; the recommendation must end EXECUTED with exactly one order on the exchange. */
  async function restartAndSettle(live: LiveDeployment, clientOrderId: string): Promise<{ readonly order: Order; readonly posts: number }> {
    const restartedAtMs = performance.now();
    const replacements = [live.spawn('trade-executor'), live.spawn('fill-tracker')];
    const finished = await waitFor('the recommendation to finish after the restart', async () => {
      const found = await live.store.getRecommendation(live.recommendationId);
      return found !== undefined && FINISHED.includes(found.status.state) ? found : undefined;
    }, SETTLE_BUDGET_MS, 100).catch(failWithLogs(live));
    const settledAfterMs = performance.now() - restartedAtMs;
    // The order may settle before the new fill-tracker finished starting: let both finish, so the teardown's
    // SIGTERM meets a started service that drains (not one still starting).
    await Promise.all(replacements.map((service) => waitReady(service, live.ports[service.name]))).catch(failWithLogs(live));
    expect(finished.status.reason ?? '').toBe('');
    expect(finished.status.state).toBe('EXECUTED');
    // Exactly one order on the exchange for the client_order_id, filled.
    const onExchange = live.coinbase.orders().filter((order) => order.client_order_id === clientOrderId);
    expect(onExchange, JSON.stringify(live.coinbase.orders())).toHaveLength(1);
    expect(live.coinbase.orders()).toHaveLength(1);
    const exchangeOrder = onExchange[0]!;
    expect(exchangeOrder.status).toBe('FILLED');
    const filledSize = decimal(String(exchangeOrder.filled_size));
    expect(compareDecimal(filledSize, decimal('0'))).toBeGreaterThan(0);
    // The order row: EXECUTED, bound to that exchange order, with fills adding up to the exchange's filled size.
    const order = (await live.store.getOrderByClientOrderId(clientOrderId))!;
    expect(order).toMatchObject({ status: 'EXECUTED', venue: 'coinbase', side: 'BUY', exchangeOrderId: exchangeOrder.order_id });
    expect(compareDecimal(decimal(order.filledBaseSize), filledSize)).toBe(0);
    const fills = await live.store.listFills(order.id);
    expect(fills.length).toBeGreaterThan(0);
    expect(fills.length).toBe(live.coinbase.fills().filter((fill) => fill.order_id === exchangeOrder.order_id).length);
    expect(compareDecimal(fills.reduce((sum, fill) => addDecimal(sum, fill.sizeBase), decimal('0')), filledSize)).toBe(0);
    // The position is what the exchange filled; no exposure stays reserved.
    const position = await live.store.getPosition('BTC-USD');
    expect(position).toBeDefined();
    expect(compareDecimal(decimal(position!.sizeBase), filledSize)).toBe(0);
    expect(await live.store.listActiveReservations()).toEqual([]);
    expect(await live.store.listOrders({ statuses: ['UNKNOWN'] })).toEqual([]);
    // Health (the restarted executor's pipeline.health over the shared store): no UNKNOWN order left.
    const health = await waitFor('the restarted trade-executor /health', async () => {
      const response = await get(live.ports['trade-executor'], '/health');
      return response.status === 200 ? (JSON.parse(response.body) as { checks: { name: string; status: string; value?: number }[] }) : undefined;
    }, SETTLE_BUDGET_MS);
    expect(health.checks.find((check) => check.name === 'unknown_orders')).toMatchObject({ status: 'ok', value: 0 });
    const posts = live.coinbase.requests.filter((request) => request.method === 'POST' && request.path === '/orders').length;
    process.stderr.write(`chaos: settled ${Math.round(settledAfterMs)} ms after the restart (lease ${CHAOS_LEASE_MS} ms), POST /orders seen ${posts}×\n`);
    return { order, posts };
  }

  it('a kill while POST /orders is in flight (placed after the kill, answer lost) is reconciled by search, not re-placed', async () => {
    const live = (deployment = await startLiveDeployment(window, 'inflight'));
    const { clientOrderId } = await killDuringPostOrders(live, () => live.coinbase.faults.dropResponses(1));
    // The order reached the exchange and was placed while the executor was dead; its answer was dropped.
    expect(live.coinbase.requests.filter((request) => request.method === 'POST' && request.path === '/orders').map((request) => request.status)).toEqual(['dropped']);
    expect(live.coinbase.orders().filter((order) => order.client_order_id === clientOrderId)).toHaveLength(1);
    const { posts } = await restartAndSettle(live, clientOrderId);
    // Found by searching the product's orders: no second POST was needed (a re-send would have been idempotent anyway).
    expect(posts).toBe(1);
  }, START_BUDGET_MS + SETTLE_BUDGET_MS);

  it('a kill after the intent is recorded but before the exchange accepts POST /orders is re-sent once with the same client_order_id', async () => {
    const live = (deployment = await startLiveDeployment(window, 'unsent'));
    const { clientOrderId } = await killDuringPostOrders(live, () => live.coinbase.faults.dropRequests(1));
    // The exchange never took the request: nothing was placed before the restart.
    expect(live.coinbase.requests.filter((request) => request.method === 'POST' && request.path === '/orders').map((request) => request.status)).toEqual(['dropped']);
    expect(live.coinbase.orders()).toHaveLength(0);
    const { posts } = await restartAndSettle(live, clientOrderId);
    // The restarted executor searched (nothing), then re-sent the same client_order_id once.
    expect(posts).toBe(2);
  }, START_BUDGET_MS + SETTLE_BUDGET_MS);
});
