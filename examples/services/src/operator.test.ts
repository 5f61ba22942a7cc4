import { createManualClock, createMemoryStore, isTradepipeError, type Clock, type Order, type PipelineStore } from '@tradepipe/core';
import { testApproval, testAssessment, testCandle, testOrderIntent, testProduct, testRecommendation } from '@tradepipe/core/testing';
import { describe, expect, it } from 'vitest';
import { parseOperatorFill, runOperatorCommand } from './operator.js';

/** A $100 BUY on Coinbase that Coinbase reported FILLED while listing no fill: held open (HELD_…), its reservation held. */
async function heldOrder(store: PipelineStore, clock: Clock): Promise<Order> {
  await store.putProduct(testProduct());
  const recommendation = testRecommendation();
  await store.insertRecommendation(recommendation, 'PENDING_EXECUTION');
  const { approval, reservation } = testApproval(recommendation, { issuedAtMs: clock.nowMs(), ttlMs: 3_600_000 });
  await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
  const result = await store.consumeApprovalAndRecordOrderIntent(approval, { ...testOrderIntent(approval, clock.nowMs()), venue: 'coinbase' });
  return store.updateOrder(result.order.id, { status: 'ACKNOWLEDGED', exchangeOrderId: 'cb-order-1', statusReason: 'HELD_FILLED_WITHOUT_FILLS', submittedAtMs: clock.nowMs(), updatedAtMs: clock.nowMs() });
}

describe('operator commands', () => {
  it('engages, reports and releases the shared kill switch', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const store = createMemoryStore({ clock });
    expect(JSON.parse(await runOperatorCommand(['kill-switch', 'status'], store, clock)).killSwitch.engaged).toBe(false);
    const engaged = JSON.parse(await runOperatorCommand(['kill-switch', 'engage', '--mode', 'flatten', '--reason', 'exchange incident'], store, clock));
    expect(engaged.killSwitch).toMatchObject({ engaged: true, mode: 'flatten', reason: 'exchange incident' });
    expect((await store.getRiskState()).killSwitch.engaged).toBe(true);
    clock.advance(1_000);
    const released = JSON.parse(await runOperatorCommand(['kill-switch', 'release', '--reason', 'all good now'], store, clock));
    // The release's reason is kept with the state (it used to be dropped, leaving no reason at all).
    const expected = { engaged: false, mode: 'flatten', reason: 'all good now', changedAtMs: Date.UTC(2026, 0, 1) + 1_000 };
    expect(released.killSwitch).toEqual(expected);
    expect((await store.getRiskState()).killSwitch).toEqual(expected);
  });

  it('refuses a change without a reason, an unknown mode or command', async () => {
    const store = createMemoryStore();
    for (const args of [['kill-switch', 'engage', '--mode', 'flatten'], ['kill-switch', 'engage', '--mode', 'panic', '--reason', 'x'], ['rm', '-rf']]) {
      const error = await runOperatorCommand(args, store).catch((thrown: unknown) => thrown);
      expect(isTradepipeError(error, 'validation_failed'), args.join(' ')).toBe(true);
    }
    expect((await store.getRiskState()).killSwitch.engaged).toBe(false);
  });

  it('lists, re-queues and discards dead letters, refusing a recommendation with an order', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const store = createMemoryStore({ clock });
    await store.putCandles([testCandle({ index: 0 }), testCandle({ index: 1 })]);
    for (const claim of await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w', leaseMs: 1_000, limit: 2 })) {
      await store.fail(claim, { error: { code: 'model_failed', message: 'corrupt' }, retryable: false, maxAttempts: 1, backoffMs: 0, terminalState: 'DEAD_LETTER' });
    }
    expect(JSON.parse(await runOperatorCommand(['dead-letters', 'list', '--limit', '1'], store, clock)).deadLetters).toHaveLength(1);
    const listed = JSON.parse(await runOperatorCommand(['dead-letters', 'list', '--kind', 'candle'], store, clock)) as { deadLetters: { id: string }[] };
    const [first, second] = listed.deadLetters.map((letter) => letter.id);
    expect(JSON.parse(await runOperatorCommand(['dead-letters', 'requeue', 'candle', first!, '--reason', 'model fixed'], store, clock)).status.state).toBe('PENDING');
    expect(JSON.parse(await runOperatorCommand(['dead-letters', 'discard', 'candle', second!, '--reason', 'bad candle'], store, clock)).status.state).toBe('DISCARDED');
    expect(await store.countByState('candle')).toEqual({ PENDING: 1, DISCARDED: 1 });
    for (const [args, code] of [
      [['dead-letters', 'requeue', 'candle', first!, '--reason', 'again'], 'invalid_state_transition'],
      [['dead-letters', 'discard', 'candle', second!], 'validation_failed'],
      [['dead-letters', 'requeue', 'order', 'x', '--reason', 'r'], 'validation_failed'],
      [['dead-letters', 'purge'], 'validation_failed'],
    ] as const) {
      const error = await runOperatorCommand(args, store, clock).catch((thrown: unknown) => thrown);
      expect(isTradepipeError(error) ? error.code : error, args.join(' ')).toBe(code);
    }
  });

  it('lists held orders and settles one with the fills read off Coinbase', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const store = createMemoryStore({ clock });
    const order = await heldOrder(store, clock);
    expect(JSON.parse(await runOperatorCommand(['orders', 'held'], store, clock)).orders.map((held: { order: Order }) => held.order.id)).toEqual([order.id]);
    clock.advance(60_000);
    const fill = 'id=8f1e2a,price=97250.00,size=99.40,commission=0.60,time=2026-01-01T00:00:30Z,size-in-quote';
    // `--fill=…` as well as `--fill …`.
    const settled = JSON.parse(await runOperatorCommand(['orders', 'settle', order.id, `--fill=${fill}`, '--reason', 'ticket 4711'], store, clock));
    expect(settled).toMatchObject({ fillsRecorded: 1, order: { status: 'EXECUTED', statusReason: 'OPERATOR_SETTLED_AFTER_HELD_FILLED_WITHOUT_FILLS: ticket 4711', totalFees: '0.6' } });
    // The size in quote is converted to base at 18 places, as the order sync converts it: the value is 99.4 to 1e-12.
    expect(Number(settled.order.filledQuoteValue)).toBeCloseTo(99.4, 12);
    expect((await store.listFills(order.id)).map((recorded) => [recorded.id, recorded.price, recorded.filledAtMs])).toEqual([['cb-8f1e2a', '97250', Date.UTC(2026, 0, 1, 0, 0, 30)]]);
    expect(await store.listActiveReservations()).toEqual([]);
    expect(JSON.parse(await runOperatorCommand(['orders', 'held'], store, clock)).orders).toEqual([]);
  });

  it('refuses a settlement without a reason or fills, with a malformed fill, or of an order that is not held', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const store = createMemoryStore({ clock });
    const order = await heldOrder(store, clock);
    clock.advance(60_000);
    const fill = 'id=a1,price=97250,size=0.001,commission=0.6,time=2026-01-01T00:00:30Z';
    for (const [args, code] of [
      [['orders', 'settle', order.id, '--fill', fill], 'validation_failed'],
      [['orders', 'settle', order.id, '--reason', 'checked'], 'validation_failed'],
      [['orders', 'settle', '--reason', 'checked'], 'validation_failed'],
      [['orders', 'settle', order.id, '--fill', 'id=a1,price=97250,size=0.001,commission=0.6', '--reason', 'no time'], 'validation_failed'],
      [['orders', 'settle', order.id, '--fill', `${fill},fee=1`, '--reason', 'unknown key'], 'validation_failed'],
      [['orders', 'settle', order.id, '--fill', fill.replace('2026-01-01T00:00:30Z', '2026-01-01 00:00:30'), '--reason', 'no zone'], 'validation_failed'],
      [['orders', 'settle', order.id, '--fill', fill, '--nothing-filled', '--reason', 'both'], 'validation_failed'],
      [['orders', 'settle', 'ord_missing', '--fill', fill, '--reason', 'checked'], 'not_found'],
      [['orders', 'cancel', order.id], 'validation_failed'],
      // A misspelt option, a second id, or a flag with a value never drops a fill silently.
      [['orders', 'settle', order.id, '--fills', fill, '--reason', 'typo'], 'validation_failed'],
      [['orders', 'settle', order.id, 'other-id', '--fill', fill, '--reason', 'two ids'], 'validation_failed'],
      [['orders', 'settle', order.id, '--nothing-filled=yes', '--reason', 'flag with a value'], 'validation_failed'],
      [['orders', 'settle', order.id, '--fill', fill, '--recorded-fills-complete', '--reason', 'both'], 'validation_failed'],
      [['orders', 'settle', order.id, '--fill'], 'validation_failed'],
    ] as const) {
      const error = await runOperatorCommand(args, store, clock).catch((thrown: unknown) => thrown);
      expect(isTradepipeError(error, code), args.join(' ')).toBe(true);
    }
    expect(await store.listFills(order.id)).toEqual([]);
    expect((await store.getOrder(order.id))?.statusReason).toBe('HELD_FILLED_WITHOUT_FILLS');
    // nothing-filled ends it FAILED (Coinbase reported no figure to contradict it); it is then no longer held.
    expect(JSON.parse(await runOperatorCommand(['orders', 'settle', order.id, '--nothing-filled', '--reason', 'no fill on the account'], store, clock)).order.status).toBe('FAILED');
    const again = await runOperatorCommand(['orders', 'settle', order.id, '--nothing-filled', '--reason', 'again'], store, clock).catch((thrown: unknown) => thrown);
    expect(isTradepipeError(again, 'invalid_state_transition')).toBe(true);
  });

  it('parses a fill as an operator types it', () => {
    expect(parseOperatorFill(' id=x-1 , price=100.50, size=2, commission=0.1, time=2026-01-01T00:00:00.250+01:00, maker')).toEqual({
      coinbaseFillId: 'x-1',
      price: '100.50',
      size: '2',
      commissionQuote: '0.1',
      filledAtMs: Date.UTC(2025, 11, 31, 23, 0, 0, 250),
      liquidity: 'MAKER',
    });
    for (const text of ['id=a,price=1,size=1,commission=0', 'id=a,id=b,price=1,size=1,commission=0,time=2026-01-01T00:00:00Z', 'id=a,price=1,size=1,commission=0,time=2026-02-30T00:00:00Z', 'size-in-quote,size-in-quote']) {
      expect(() => parseOperatorFill(text), text).toThrow(/fill/);
    }
  });
});
