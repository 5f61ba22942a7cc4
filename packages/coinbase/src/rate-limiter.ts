import { TradepipeError, type Clock } from '@tradepipe/core';
import { MAX_RETRY_AFTER_MS } from './http-errors.js';
import { sleepInTimerSteps } from './timer-delay.js';

/** A client-side request limiter: a token bucket that queues callers in order. */
export interface RateLimiter {
  /**
   * Waits until a request may be sent, then takes one token.
   * @throws TradepipeError `aborted` if `signal` aborts while waiting.
   */
  acquire(signal?: AbortSignal): Promise<void>;
  /**
   * Holds every request back until `untilMs` (a 429's retry hint), at most {@link MAX_RETRY_AFTER_MS} from now; a
   * time that is not finite is ignored.
   */
  pauseUntil(untilMs: number): void;
}

/**
 * Creates a token-bucket limiter (GCRA): at most `burst` requests at once, then `ratePerSecond` on
 * average. Reservations are taken synchronously, so concurrent callers go out in call order.
 * @param options.ratePerSecond sustained rate (Coinbase: 30/s private, 10/s public)
 * @param options.burst requests allowed back to back (default `ratePerSecond`)
 * @returns the limiter
 * @throws TradepipeError `config_invalid` if the rate or burst is not positive.
 * @example
 * const limiter = createRateLimiter({ ratePerSecond: 30, burst: 10, clock: systemClock });
 * await limiter.acquire();
 */
export function createRateLimiter(options: { readonly ratePerSecond: number; readonly burst?: number; readonly clock: Clock }): RateLimiter {
  const burst = options.burst ?? options.ratePerSecond;
  if (!(options.ratePerSecond > 0) || !(burst >= 1)) {
    throw new TradepipeError('config_invalid', 'A rate limiter needs a positive rate and burst');
  }
  const intervalMs = 1000 / options.ratePerSecond;
  const toleranceMs = (burst - 1) * intervalMs;
  let theoreticalArrivalMs = 0;
  const { clock } = options;
  return {
    async acquire(signal) {
      signal?.throwIfAborted();
      const nowMs = clock.nowMs();
      theoreticalArrivalMs = Math.max(theoreticalArrivalMs, nowMs);
      const allowedAtMs = theoreticalArrivalMs - toleranceMs;
      theoreticalArrivalMs += intervalMs;
      if (allowedAtMs > nowMs) {
        try {
          await sleepInTimerSteps(clock, allowedAtMs - nowMs, signal);
        } catch (error) {
          throw new TradepipeError('aborted', 'Waiting for the rate limiter was aborted', { cause: error });
        }
      }
    },
    pauseUntil(untilMs) {
      if (!Number.isFinite(untilMs)) return;
      const pausedUntilMs = Math.min(untilMs, clock.nowMs() + MAX_RETRY_AFTER_MS);
      theoreticalArrivalMs = Math.max(theoreticalArrivalMs, pausedUntilMs + toleranceMs);
    },
  };
}
