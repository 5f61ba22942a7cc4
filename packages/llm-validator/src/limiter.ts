import { TradepipeError } from '@tradepipe/core';

/** Runs tasks with at most `concurrency` at once and at most `queueLimit` waiting. */
export interface ConcurrencyLimiter {
  /**
   * Runs `task` when a slot frees. Waiting ends early if `signal` aborts.
   * @throws TradepipeError `llm_unavailable` (retryable) when the queue is full or the wait was aborted.
   */
  run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T>;
  /** Tasks running and waiting now. */
  stats(): { readonly active: number; readonly queued: number };
}

interface Waiter {
  readonly signal: AbortSignal;
  readonly start: () => void;
  readonly abort: () => void;
}

const abortedWhileQueued = (): TradepipeError =>
  new TradepipeError('llm_unavailable', 'Validation aborted while queued', { details: { aborted: true } });

/**
 * Creates a limiter with a bounded FIFO queue: backpressure is an immediate retryable refusal, never an
 * unbounded pile of waiting requests. One abort listener per distinct signal, however many wait on it.
 * @internal
 */
export function createConcurrencyLimiter(options: { readonly concurrency: number; readonly queueLimit: number }): ConcurrencyLimiter {
  let active = 0;
  const queue: Waiter[] = [];
  const waitersBySignal = new Map<AbortSignal, { readonly waiters: Set<Waiter>; readonly onAbort: () => void }>();

  const forget = (waiter: Waiter): void => {
    const entry = waitersBySignal.get(waiter.signal);
    if (entry === undefined) return;
    entry.waiters.delete(waiter);
    if (entry.waiters.size === 0) {
      waiter.signal.removeEventListener('abort', entry.onAbort);
      waitersBySignal.delete(waiter.signal);
    }
  };
  const watch = (waiter: Waiter): void => {
    let entry = waitersBySignal.get(waiter.signal);
    if (entry === undefined) {
      const waiters = new Set<Waiter>();
      const onAbort = (): void => {
        for (const aborted of [...waiters]) aborted.abort();
      };
      entry = { waiters, onAbort };
      waitersBySignal.set(waiter.signal, entry);
      waiter.signal.addEventListener('abort', onAbort, { once: true });
    }
    entry.waiters.add(waiter);
  };
  const release = (): void => {
    active -= 1;
    const next = queue.shift();
    if (next !== undefined) next.start();
  };
  const acquire = (signal: AbortSignal): Promise<void> => {
    if (signal.aborted) return Promise.reject(abortedWhileQueued());
    if (active < options.concurrency && queue.length === 0) {
      active += 1;
      return Promise.resolve();
    }
    if (queue.length >= options.queueLimit) {
      return Promise.reject(
        new TradepipeError('llm_unavailable', 'The validation queue is full', { details: { queueLimit: options.queueLimit, active } }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        signal,
        start: () => {
          forget(waiter);
          active += 1;
          resolve();
        },
        abort: () => {
          forget(waiter);
          const index = queue.indexOf(waiter);
          if (index >= 0) queue.splice(index, 1);
          reject(abortedWhileQueued());
        },
      };
      queue.push(waiter);
      watch(waiter);
    });
  };
  return {
    async run(task, signal) {
      await acquire(signal);
      try {
        return await task();
      } finally {
        release();
      }
    },
    stats: () => ({ active, queued: queue.length }),
  };
}
