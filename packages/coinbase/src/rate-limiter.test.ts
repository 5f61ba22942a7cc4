// The limiter's waits: a pause is a 429's hint, so it is capped like one; no wait it asks of its clock may overflow
// Node's timers (past 2^31 − 1 ms, setTimeout fires after 1 ms and the limiter stops limiting).
import { describe, expect, it } from 'vitest';
import type { Clock } from '@tradepipe/core';
import { MAX_RETRY_AFTER_MS, createRateLimiter } from './index.js';

const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** A clock standing still at `nowMs` whose sleeps are recorded and return at once. */
function recordingClock(nowMs: number): Clock & { readonly sleepsMs: number[] } {
  const sleepsMs: number[] = [];
  return { sleepsMs, nowMs: () => nowMs, sleep: async (durationMs) => void sleepsMs.push(durationMs) };
}

describe('rate limiter waits', () => {
  it('holds requests at most MAX_RETRY_AFTER_MS past now, however far a pause asks', async () => {
    const clock = recordingClock(1_000_000);
    const limiter = createRateLimiter({ ratePerSecond: 30, burst: 1, clock });

    limiter.pauseUntil(1_000_000 + 3_000_000_000);
    await limiter.acquire();

    expect(clock.sleepsMs).toEqual([MAX_RETRY_AFTER_MS]);
  });

  it.each([Number.POSITIVE_INFINITY, Number.NaN])('ignores a pause until %s', async (untilMs) => {
    const clock = recordingClock(1_000_000);
    const limiter = createRateLimiter({ ratePerSecond: 30, burst: 1, clock });

    limiter.pauseUntil(untilMs);
    await limiter.acquire();
    await limiter.acquire();

    // Only the second request's pacing (1/30 s): no pause.
    expect(clock.sleepsMs).toHaveLength(1);
    expect(clock.sleepsMs[0]).toBeCloseTo(1000 / 30);
  });

  it('never asks its clock for a wait Node timers cannot hold (a very slow configured rate)', async () => {
    const clock = recordingClock(1_000_000);
    const limiter = createRateLimiter({ ratePerSecond: 1e-7, burst: 1, clock }); // one request per ~116 days

    await limiter.acquire();
    await limiter.acquire();

    expect(clock.sleepsMs.length).toBeGreaterThan(0);
    expect(clock.sleepsMs.every((sleepMs) => sleepMs <= MAX_TIMER_DELAY_MS)).toBe(true);
    expect(clock.sleepsMs.reduce((sum, sleepMs) => sum + sleepMs, 0)).toBe(1e10);
  });
});
