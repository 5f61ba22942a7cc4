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
});
