// Node's timers hold at most 2^31 − 1 ms; a longer setTimeout fires after 1 ms (TimeoutOverflowWarning). Every wait of
// this package is slept in steps below that, so a long wait stays long.
import { describe, expect, it } from 'vitest';
import { isTradepipeError, systemClock, type Clock } from '@tradepipe/core';
import { MAX_TIMER_DELAY_MS, sleepInTimerSteps } from './timer-delay.js';

function recordingClock(): Clock & { readonly sleepsMs: number[] } {
  const sleepsMs: number[] = [];
  return { sleepsMs, nowMs: () => 0, sleep: async (durationMs) => void sleepsMs.push(durationMs) };
}

describe('sleepInTimerSteps', () => {
  it('sleeps a wait past the timer limit in steps that add up to it', async () => {
    const clock = recordingClock();
    await sleepInTimerSteps(clock, 3_000_000_000);
    expect(clock.sleepsMs).toEqual([MAX_TIMER_DELAY_MS, 3_000_000_000 - MAX_TIMER_DELAY_MS]);
  });

  it('sleeps a short wait in one step, and a negative one as zero', async () => {
    const clock = recordingClock();
    await sleepInTimerSteps(clock, 250);
    await sleepInTimerSteps(clock, -5);
    expect(clock.sleepsMs).toEqual([250, 0]);
  });

  it('refuses a wait that is not finite', async () => {
    const error = await sleepInTimerSteps(recordingClock(), Number.POSITIVE_INFINITY).catch((caught: unknown) => caught);
    expect(isTradepipeError(error, 'config_invalid')).toBe(true);
  });

  it('sleeps the whole wait on a real clock: no TimeoutOverflowWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    const controller = new AbortController();
    try {
      const sleeping = sleepInTimerSteps(systemClock, 3_000_000_000, controller.signal).catch(() => 'aborted');
      await new Promise((resolve) => setTimeout(resolve, 50));
      controller.abort();
      expect(await sleeping).toBe('aborted'); // still asleep after 50 ms, not woken after 1 ms
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });
});
