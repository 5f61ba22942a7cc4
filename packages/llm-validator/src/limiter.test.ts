import { TradepipeError } from '@tradepipe/core';
import { describe, expect, it } from 'vitest';
import { createConcurrencyLimiter } from './limiter.js';

describe('concurrency limiter', () => {
  it('runs at most `concurrency` at once, queues up to the limit and refuses past it', async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 2, queueLimit: 1 });
    const signal = new AbortController().signal;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tasks = [limiter.run(() => gate, signal), limiter.run(() => gate, signal), limiter.run(() => gate, signal)];
    expect(limiter.stats()).toEqual({ active: 2, queued: 1 });
    await expect(limiter.run(() => gate, signal)).rejects.toMatchObject({ code: 'llm_unavailable' });
    release();
    await Promise.all(tasks);
    expect(limiter.stats()).toEqual({ active: 0, queued: 0 });
  });

  it('leaves the queue when the waiting caller aborts', async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, queueLimit: 5 });
    const controller = new AbortController();
    let release!: () => void;
    const running = limiter.run(() => new Promise<void>((resolve) => (release = resolve)), new AbortController().signal);
    const waiting = limiter.run(async () => 'ran', controller.signal);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(TradepipeError);
    expect(limiter.stats().queued).toBe(0);
    release();
    await running;
  });
});

describe('concurrency limiter with many waiters on one signal', () => {
  it('uses one abort listener per signal and rejects every waiter of an aborted signal', async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, queueLimit: 100 });
    const controller = new AbortController();
    let added = 0;
    const signal = controller.signal;
    const original = signal.addEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<AbortSignal['addEventListener']>) => {
      added += 1;
      original(...args);
    }) as AbortSignal['addEventListener'];
    let release!: () => void;
    const running = limiter.run(() => new Promise<void>((resolve) => (release = resolve)), new AbortController().signal);
    const waiting = Array.from({ length: 20 }, () => limiter.run(async () => 'ran', signal));
    expect(added).toBe(1);
    controller.abort();
    const results = await Promise.allSettled(waiting);
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(limiter.stats()).toEqual({ active: 1, queued: 0 });
    release();
    await running;
  });
});
