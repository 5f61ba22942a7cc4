import { describe, expect, it } from 'vitest';
import { WorkWaiterSet } from './work-waiters.js';

/** Whether a promise has settled once everything already queued has run. */
async function isSettled(promise: Promise<void>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise<void>((resolve) => setImmediate(resolve));
  return settled;
}

describe('WorkWaiterSet', () => {
  it('wakes the waits for the state work arrived in and those for any state, leaving the others waiting', async () => {
    const waiters = new WorkWaiterSet();
    const controller = new AbortController();
    const forRisk = waiters.wait('recommendation', 60_000, controller.signal, 'PENDING_RISK');
    const forExecution = waiters.wait('recommendation', 60_000, controller.signal, 'PENDING_EXECUTION');
    const forAny = waiters.wait('recommendation', 60_000, controller.signal);
    const forSignals = waiters.wait('signal', 60_000, controller.signal);
    waiters.wake('recommendation', 'PENDING_RISK');
    expect(await isSettled(forRisk)).toBe(true);
    expect(await isSettled(forAny)).toBe(true);
    expect(await isSettled(forExecution)).toBe(false);
    expect(await isSettled(forSignals)).toBe(false);
    waiters.wake('recommendation'); // no state: every wait of the kind
    expect(await isSettled(forExecution)).toBe(true);
    expect(await isSettled(forSignals)).toBe(false);
    controller.abort();
    expect(await isSettled(forSignals)).toBe(true);
  });

  it('ends a wait at its timeout', async () => {
    const waiters = new WorkWaiterSet();
    await waiters.wait('candle', 1, undefined, 'PENDING');
  });

  it('ends each wait at its own timeout (one timer for the set), a later short wait included', async () => {
    const waiters = new WorkWaiterSet();
    const long = waiters.wait('candle', 60_000, undefined, 'PENDING');
    const short = waiters.wait('candle', 1, undefined, 'PENDING');
    await short;
    expect(await isSettled(long)).toBe(false);
    const shorter = waiters.wait('signal', 0);
    await shorter;
    expect(await isSettled(long)).toBe(false);
    waiters.wakeAll();
    expect(await isSettled(long)).toBe(true);
  });

  it('ends the waits of an aborted signal only, and a wait on a signal already aborted at once', async () => {
    const waiters = new WorkWaiterSet();
    const first = new AbortController();
    const second = new AbortController();
    const onFirst = [waiters.wait('candle', 60_000, first.signal), waiters.wait('signal', 60_000, first.signal, 'PENDING')];
    const onSecond = waiters.wait('candle', 60_000, second.signal);
    first.abort();
    expect(await Promise.all(onFirst.map(isSettled))).toEqual([true, true]);
    expect(await isSettled(onSecond)).toBe(false);
    expect(await isSettled(waiters.wait('candle', 60_000, first.signal))).toBe(true);
    second.abort();
    expect(await isSettled(onSecond)).toBe(true);
  });
});
