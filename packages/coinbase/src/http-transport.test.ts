// A 429's `Retry-After` is a hint from outside: one absurd value must not stall every private call (stop-loss SELLs
// included) for a day, nor overflow Node's timers (a delay past 2^31 − 1 ms fires after 1 ms, so the limiter stopped
// limiting and the client hammered Coinbase with 429s). The client talks HTTP to the fake on 127.0.0.1; its waits
// go to an injected networkClock that records them and returns at once.
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, systemClock, type Clock } from '@tradepipe/core';
import { createCoinbaseClient, MAX_RETRY_AFTER_MS, parseCdpKey, type CoinbaseClient } from './index.js';
import { createTestKeyPair, startFakeCoinbase, type FakeCoinbase } from './testing.js';

const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
const RETRY_BASE_DELAY_MS = 5;
/** What the limiter's pacing may add after a pause, ms: far below any absurd hint. */
const PACING_ALLOWANCE_MS = 1_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * A network clock whose sleeps are recorded into `waitsMs` and skipped, time passing as they would: with a clock that
 * stood still, the limiter's pacing piled up over many retries past the cap, by as much as the machine was slow
 * (61,044 ms seen on a busy one).
 */
function recordingClock(waitsMs: number[]): Clock {
  let virtualMs = systemClock.nowMs();
  return {
    nowMs: () => virtualMs,
    sleep: async (durationMs) => {
      waitsMs.push(durationMs);
      virtualMs += durationMs;
    },
  };
}

/** A fake and a client whose network waits are recorded (and skipped). */
async function recordingWaits(): Promise<{ readonly fake: FakeCoinbase; readonly client: CoinbaseClient; readonly waitsMs: number[] }> {
  const waitsMs: number[] = [];
  const networkClock = recordingClock(waitsMs);
  const clock = createManualClock(Date.now());
  const keys = createTestKeyPair();
  const fake = await startFakeCoinbase({ keys: [keys], clock, enforceRateLimits: false });
  const client = createCoinbaseClient({ baseUrl: fake.url, key: parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem }), clock, networkClock, retryBaseDelayMs: RETRY_BASE_DELAY_MS });
  cleanups.push(async () => {
    await client.close();
    await fake.close();
  });
  return { fake, client, waitsMs };
}

describe('a 429 with an odd Retry-After', () => {
  it.each([100_000, 3_000_000])('Retry-After: %i s waits at most MAX_RETRY_AFTER_MS, in the transport and the limiter', async (retryAfterSeconds) => {
    const { fake, client, waitsMs } = await recordingWaits();
    fake.faults.rateLimitBurst(1, { path: '/accounts', retryAfterSeconds });

    expect(await client.listAccounts()).toHaveLength(1);
    expect(await client.listAccounts()).toHaveLength(1); // the next call is held by the limiter's pause, if at all

    expect(MAX_RETRY_AFTER_MS).toBe(60_000);
    expect(waitsMs).toContain(MAX_RETRY_AFTER_MS); // the transport's wait before its retry
    // The limiter's waits: the capped pause plus its own pacing of the next requests (a burst of 10 at 30/s).
    expect(Math.max(...waitsMs)).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS + PACING_ALLOWANCE_MS);
    expect(fake.requests.map((request) => request.status)).toEqual([429, 200, 200]);
  });

  it.each(['-5', 'NaN', 'Infinity'])('Retry-After: %s is no hint: the doubling backoff applies', async (header) => {
    const { fake, client, waitsMs } = await recordingWaits();
    // The fake writes the number as it is given (String(value)), as a server with a bug would.
    fake.faults.rateLimitBurst(2, { path: '/accounts', retryAfterSeconds: Number(header) });

    expect(await client.listAccounts()).toHaveLength(1);

    // The transport's waits (the limiter's own pacing may add shorter ones): never a zero "hint".
    expect(waitsMs).toContain(RETRY_BASE_DELAY_MS);
    expect(waitsMs).toContain(RETRY_BASE_DELAY_MS * 2);
    expect(waitsMs).not.toContain(0);
    expect(fake.requests.map((request) => request.status)).toEqual([429, 429, 200]);
  });

  it('without a hint, the doubling 429 backoff stops growing at MAX_RETRY_AFTER_MS', async () => {
    const waitsMs: number[] = [];
    const networkClock = recordingClock(waitsMs);
    const keys = createTestKeyPair();
    const fake = await startFakeCoinbase({ keys: [keys], enforceRateLimits: false });
    const client = createCoinbaseClient({ baseUrl: fake.url, key: parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem }), networkClock, retryBaseDelayMs: 1_000, maxRateLimitRetries: 40 });
    cleanups.push(async () => {
      await client.close();
      await fake.close();
    });
    fake.faults.rateLimitBurst(40, { path: '/accounts' });

    expect(await client.listAccounts()).toHaveLength(1);

    expect(waitsMs).toContain(MAX_RETRY_AFTER_MS);
    expect(Math.max(...waitsMs)).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS + PACING_ALLOWANCE_MS);
    expect(waitsMs.every((waitMs) => waitMs <= MAX_TIMER_DELAY_MS)).toBe(true);
  });
});
