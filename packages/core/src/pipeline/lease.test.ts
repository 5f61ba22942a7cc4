import { describe, expect, it } from 'vitest';
import { isTradepipeError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { createMemoryStore } from '../memory-store.js';
import { testProduct, testRecommendation } from '../testing/fixtures.js';
import { createManualClock } from '../time.js';
import { holdLease } from './lease.js';

/** Waits, in real time, until `ready` holds or `budgetMs` passes. */
async function waitFor(ready: () => boolean, budgetMs = 10_000): Promise<void> {
  for (const startedAtMs = Date.now(); !ready() && Date.now() - startedAtMs < budgetMs; ) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** A claim whose lease another worker takes over once the keeper renews it (the store's clock moved past its expiry). */
async function claimTakenOver(): Promise<Parameters<typeof holdLease>[0]['claim'] & { store: ReturnType<typeof createMemoryStore> }> {
  const recommendation = testRecommendation();
  const clock = createManualClock(recommendation.createdAtMs);
  const store = createMemoryStore({ clock });
  await store.putProduct(testProduct());
  await store.insertRecommendation(recommendation, 'PENDING_VALIDATION');
  const [claim] = await store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'paused', leaseMs: 60, limit: 1, ordered: false });
  clock.advance(1_000);
  await store.claim({ kind: 'recommendation', state: 'PENDING_VALIDATION', workerId: 'replica', leaseMs: 60_000, limit: 1, ordered: false });
  return Object.assign(claim!, { store });
}

describe('a held lease', () => {
  it('makes no signal until read; lost before the read, the signal comes aborted with lease_lost', async () => {
    const claim = await claimTakenOver();
    const parent = new AbortController();
    const lease = holdLease({ store: claim.store, claim, leaseMs: 60, parent: parent.signal, logger: silentLogger });
    try {
      expect(lease.aborted).toBe(false);
      await waitFor(() => lease.aborted);
      expect(lease.lost).toBe(true);
      expect(() => lease.throwIfAborted()).toThrow(expect.objectContaining({ code: 'lease_lost' }));
      expect(lease.signal.aborted).toBe(true);
      expect(isTradepipeError(lease.signal.reason, 'lease_lost')).toBe(true);
      parent.abort(new Error('stopping'));
      expect(isTradepipeError(lease.signal.reason, 'lease_lost')).toBe(true); // the first reason stands
    } finally {
      lease.stop();
    }
  });

  it('keeps lease_lost as the reason when the pipeline stops after the loss and before the first read', async () => {
    const claim = await claimTakenOver();
    const parent = new AbortController();
    const lease = holdLease({ store: claim.store, claim, leaseMs: 60, parent: parent.signal, logger: silentLogger });
    try {
      await waitFor(() => lease.aborted);
      parent.abort(new Error('stopping'));
      expect(isTradepipeError(lease.signal.reason, 'lease_lost')).toBe(true);
      const child = lease.child();
      expect(isTradepipeError(child.signal.reason, 'lease_lost')).toBe(true);
      child.detach();
      expect(() => lease.throwIfAborted()).toThrow(expect.objectContaining({ code: 'lease_lost' }));
    } finally {
      lease.stop();
    }
  });

  it('a signal first read after the lease stopped follows nothing (the pipeline keeps no listener for it)', async () => {
    const claim = await claimTakenOver();
    const parent = new AbortController();
    const lease = holdLease({ store: claim.store, claim, leaseMs: 60_000, parent: parent.signal, logger: silentLogger });
    lease.stop();
    const { signal } = lease;
    expect(signal.aborted).toBe(false);
    parent.abort(new Error('stopping'));
    expect(signal.aborted).toBe(false);
    const stopped = new AbortController();
    const ended = holdLease({ store: claim.store, claim, leaseMs: 60_000, parent: stopped.signal, logger: silentLogger });
    const reason = new Error('stopping');
    stopped.abort(reason);
    ended.stop();
    expect(ended.signal.reason).toBe(reason);
  });

  it('aborts a signal already read when the lease is lost, and follows the pipeline stopping first', async () => {
    const claim = await claimTakenOver();
    const parent = new AbortController();
    const lease = holdLease({ store: claim.store, claim, leaseMs: 60, parent: parent.signal, logger: silentLogger });
    const { signal } = lease;
    try {
      await waitFor(() => signal.aborted);
      expect(isTradepipeError(signal.reason, 'lease_lost')).toBe(true);
    } finally {
      lease.stop();
    }
    const stopping = new AbortController();
    const other = holdLease({ store: claim.store, claim, leaseMs: 60_000, parent: stopping.signal, logger: silentLogger });
    const reason = new Error('stopping');
    stopping.abort(reason);
    expect(other.aborted).toBe(true);
    expect(other.lost).toBe(false);
    expect(() => other.throwIfAborted()).toThrow(reason);
    expect(other.signal.reason).toBe(reason);
    other.stop();
  });

  it('aborts its children without making its own signal: on lease loss, and with the pipeline', async () => {
    const claim = await claimTakenOver();
    const parent = new AbortController();
    const lease = holdLease({ store: claim.store, claim, leaseMs: 60, parent: parent.signal, logger: silentLogger });
    const child = lease.child();
    try {
      await waitFor(() => child.signal.aborted);
      expect(isTradepipeError(child.signal.reason, 'lease_lost')).toBe(true);
      expect(lease.child().signal.reason).toBe(child.signal.reason); // made after the loss: aborted at once
    } finally {
      child.detach();
      lease.stop();
    }
    const stopping = new AbortController();
    const other = holdLease({ store: claim.store, claim, leaseMs: 60_000, parent: stopping.signal, logger: silentLogger });
    const follower = other.child();
    const reason = new Error('stopping');
    stopping.abort(reason);
    expect(follower.signal.reason).toBe(reason);
    follower.detach();
    other.stop();
  });
});
