// The order reconciler keeps a schedule per order it follows; an order that ended elsewhere (another replica,
// the execution stage) must not stay in it for the life of the process.
import { afterEach, describe, expect, it } from 'vitest';
import { createOrderReconciler } from '@tradepipe/core';
import { CoinbaseOrderExecutor } from './coinbase-executor.js';
import { createExecutorKit } from './executor-test-kit.js';
import { startFakeSetup, type FakeSetup } from './test-fixtures.js';

const LIVE = { liveTrading: { enabled: true, acknowledgeRealMoney: true } };
let setup: FakeSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

describe('order reconciler: schedules of orders that ended elsewhere', () => {
  it('are dropped at the next sweep (two replicas, one settles the order)', async () => {
    const kit = await createExecutorKit({ startAtMs: Date.now() });
    setup = await startFakeSetup({ clock: kit.clock, fake: { orderFills: 'manual', enforceRateLimits: false } });
    const executor = new CoinbaseOrderExecutor({ client: setup.client, approvalSigner: kit.signer, followTimeoutMs: 0, ...LIVE });
    const options = { executor, pollIntervalMs: 2_000, baseBackoffMs: 1_000, maxBackoffMs: 30_000, sweepIntervalMs: 10_000 };
    const replicaA = createOrderReconciler(options);
    const replicaB = createOrderReconciler(options);
    const orders = [];
    for (let index = 0; index < 3; index += 1) orders.push(await executor.execute(await kit.approve({ index }), kit.context));
    expect(orders.map((order) => order.status)).toEqual(['ACKNOWLEDGED', 'ACKNOWLEDGED', 'ACKNOWLEDGED']);
    for (const order of orders) await replicaA.follow(order, kit.context);
    expect(replicaA.scheduledOrderCount).toBe(3);

    for (const order of orders) setup.fake.fillOrder(order.exchangeOrderId!);
    kit.clock.advance(2_000);
    for (const order of orders) expect((await replicaB.follow(order, kit.context)).order.status).toBe('EXECUTED');
    expect(replicaB.scheduledOrderCount).toBe(0);

    await replicaA.sweep(kit.context);
    expect(replicaA.scheduledOrderCount).toBe(0);
    // An order handed to follow() after it ended elsewhere leaves nothing behind either.
    const ended = (await kit.store.getOrder(orders[0]!.id))!;
    await replicaA.follow(orders[1]!, kit.context);
    await replicaA.follow(ended, kit.context);
    expect(replicaA.scheduledOrderCount).toBe(0);
  });
});
