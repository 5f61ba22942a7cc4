import { createManualClock, createMemoryStore, isTradepipeError } from '@tradepipe/core';
import { testCandle } from '@tradepipe/core/testing';
import { describe, expect, it } from 'vitest';
import { runOperatorCommand } from './operator.js';

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
});
