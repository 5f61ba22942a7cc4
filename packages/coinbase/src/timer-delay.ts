import { TradepipeError, type Clock } from '@tradepipe/core';

/**
 * Longest delay Node's timers hold, ms (2^31 − 1, about 24.8 days). A longer one fires after 1 ms with a
 * `TimeoutOverflowWarning`, so a wait past it must be slept in steps.
 * @internal
 */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * Sleeps `durationMs` on `clock` in steps of at most {@link MAX_TIMER_DELAY_MS}, so that no timer overflows and a
 * long wait is as long as asked, never 1 ms. Every wait of this package goes through it.
 * @param durationMs how long to wait; zero or less waits one zero-length step
 * @throws TradepipeError `config_invalid` if `durationMs` is not finite; the clock's rejection if `signal` aborts.
 * @example
 * await sleepInTimerSteps(systemClock, 30 * 24 * 3_600_000, signal); // 30 days: two timers
 * @internal
 */
export async function sleepInTimerSteps(clock: Clock, durationMs: number, signal?: AbortSignal): Promise<void> {
  if (!Number.isFinite(durationMs)) throw new TradepipeError('config_invalid', 'A wait must be a finite number of milliseconds', { details: { durationMs: String(durationMs) } });
  let remainingMs = Math.max(0, durationMs);
  do {
    const stepMs = Math.min(remainingMs, MAX_TIMER_DELAY_MS);
    await clock.sleep(stepMs, signal);
    remainingMs -= stepMs;
  } while (remainingMs > 0);
}
