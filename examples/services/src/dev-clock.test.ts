import { describe, expect, it } from 'vitest';
import { TradepipeError, silentLogger, systemClock } from '@tradepipe/core';
import { createScaledClock, isLoopbackUrl, isScaledClock, readServiceClock } from './dev-clock.js';
import { startService } from './run-service.js';
import { SERVICES } from './service-catalog.js';

const SECRET = 'unit-test-approval-secret-32-characters-long';
const START_MS = Date.UTC(2024, 10, 8);

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof TradepipeError) return error.code;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('the dev clock', () => {
  it('reads start + (wall − epoch) × rate, the same in every process given the same numbers', () => {
    const epochMs = systemClock.nowMs() - 1_000;
    const clock = createScaledClock({ startMs: START_MS, epochMs, rate: 17_280 });
    const beforeMs = systemClock.nowMs();
    const readMs = clock.nowMs();
    const afterMs = systemClock.nowMs();
    expect(readMs).toBeGreaterThanOrEqual(START_MS + (beforeMs - epochMs) * 17_280);
    expect(readMs).toBeLessThanOrEqual(START_MS + (afterMs - epochMs) * 17_280);
    const twin = readServiceClock({ DEV_CLOCK_START_MS: String(START_MS), DEV_CLOCK_EPOCH_MS: String(epochMs), DEV_CLOCK_RATE: '17280', COINBASE_BASE_URL: 'http://127.0.0.1:9' });
    expect(isScaledClock(twin) && twin.rate).toBe(17_280);
    const [first, second, third] = [clock.nowMs(), twin.nowMs(), clock.nowMs()];
    expect(second).toBeGreaterThanOrEqual(first);
    expect(second).toBeLessThanOrEqual(third);
  });

  it('sleeps a simulated duration in duration / rate wall-clock time, and stops on abort', async () => {
    const clock = createScaledClock({ startMs: START_MS, epochMs: systemClock.nowMs(), rate: 86_400 });
    const beforeMs = clock.nowMs();
    await clock.sleep(86_400_000); // one simulated day: one wall-clock second
    expect(clock.nowMs() - beforeMs).toBeGreaterThanOrEqual(86_400_000 - 86_400 * 5);
    const controller = new AbortController();
    const sleeping = clock.sleep(365 * 86_400_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
  });

  it('is the system clock unless all three variables are set; a partial or malformed set is refused', () => {
    expect(readServiceClock({})).toBe(systemClock);
    const local = { COINBASE_BASE_URL: 'http://127.0.0.1:4000' };
    expect(codeOf(() => readServiceClock({ ...local, DEV_CLOCK_RATE: '100' }))).toBe('config_invalid');
    expect(codeOf(() => readServiceClock({ ...local, DEV_CLOCK_RATE: 'fast', DEV_CLOCK_START_MS: '0', DEV_CLOCK_EPOCH_MS: '0' }))).toBe('config_invalid');
    expect(codeOf(() => readServiceClock({ ...local, DEV_CLOCK_RATE: '0', DEV_CLOCK_START_MS: '0', DEV_CLOCK_EPOCH_MS: '0' }))).toBe('config_invalid');
    expect(codeOf(() => readServiceClock({ ...local, DEV_CLOCK_RATE: '2000000', DEV_CLOCK_START_MS: '0', DEV_CLOCK_EPOCH_MS: '0' }))).toBe('config_invalid');
  });

  it('runs only against a local fake exchange', () => {
    const clockEnv = { DEV_CLOCK_RATE: '100', DEV_CLOCK_START_MS: String(START_MS), DEV_CLOCK_EPOCH_MS: '0' };
    for (const url of [undefined, 'https://api.coinbase.com', 'http://10.0.0.5:8080', 'http://127.0.0.1.example.com', 'not a url']) {
      expect(codeOf(() => readServiceClock({ ...clockEnv, ...(url === undefined ? {} : { COINBASE_BASE_URL: url }) })), String(url)).toBe('config_invalid');
    }
    for (const url of ['http://127.0.0.1:4000', 'http://localhost:4000', 'http://[::1]:4000']) expect(isLoopbackUrl(url), url).toBe(true);
  });

  it('a service in confirmed live mode on a dev clock against the real exchange refuses to start, before opening anything', async () => {
    const env = {
      TRADING_MODE: 'live',
      LIVE_TRADING_CONFIRM: 'I_ACCEPT_REAL_MONEY_RISK',
      RISK_APPROVAL_SECRET: SECRET,
      DB_PORT: '1',
      DEV_CLOCK_RATE: '100',
      DEV_CLOCK_START_MS: String(START_MS),
      DEV_CLOCK_EPOCH_MS: '0',
      COINBASE_BASE_URL: 'https://api.coinbase.com',
    };
    const error = await startService(SERVICES['trade-executor'], env, { logger: silentLogger }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(TradepipeError);
    expect((error as TradepipeError).code).toBe('config_invalid');
    expect((error as TradepipeError).message).toContain('COINBASE_BASE_URL');
  });
});
