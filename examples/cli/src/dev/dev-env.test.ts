import { describe, expect, it } from 'vitest';
import { TradepipeError } from '@tradepipe/core';
import { createTestKeyPair } from '@tradepipe/coinbase/testing';
import { createScaledClock, readServiceClock } from '@tradepipe/example-services';
import { WALL_CLOCK_BUDGETS_MS, devPorts, devServiceEnv, type DevEnvInput } from './dev-env.js';

const clock = createScaledClock({ startMs: Date.UTC(2024, 10, 8), epochMs: 1_700_000_000_000, rate: 17_280 });
const input: DevEnvInput = {
  clock,
  ports: devPorts(18_022),
  coinbaseUrl: 'http://127.0.0.1:40001',
  ollamaUrl: 'http://127.0.0.1:40002',
  approvalSecret: 'dev-approval-secret-of-at-least-32-characters',
  // What a user's shell may hold: none of it may reach the services.
  inherited: { PATH: '/usr/bin', HOME: '/home/me', TRADING_MODE: 'live', LIVE_TRADING_CONFIRM: 'I_ACCEPT_REAL_MONEY_RISK', COINBASE_API_KEY_NAME: 'organizations/real', DATABASE_URL: 'postgres://prod/db', RISK_MAX_ORDER_QUOTE: '100000' },
};

describe("the dev stack's environment", () => {
  it('is built from nothing: paper, the fakes, the dev clock; the user’s trading settings never leak in', () => {
    const env = devServiceEnv(input);
    expect(env).toMatchObject({ PATH: '/usr/bin', HOME: '/home/me', TRADING_MODE: 'paper', COINBASE_BASE_URL: input.coinbaseUrl, OLLAMA_HOST: input.ollamaUrl, HTTP_HOST: '127.0.0.1' });
    for (const name of ['LIVE_TRADING_CONFIRM', 'COINBASE_API_KEY_NAME', 'COINBASE_API_PRIVATE_KEY', 'DATABASE_URL', 'RISK_MAX_ORDER_QUOTE']) expect(env[name], name).toBeUndefined();
    // Every service derives the very clock the command runs.
    const derived = readServiceClock(env);
    expect(derived).toMatchObject({ startMs: clock.startMs, epochMs: clock.epochMs, rate: clock.rate });
  });

  it('scales processing budgets to wall-clock time and leaves market rules in simulated time', () => {
    const env = devServiceEnv(input);
    for (const [name, wallMs] of Object.entries(WALL_CLOCK_BUDGETS_MS)) expect(Number(env[name]), name).toBe(wallMs * 17_280);
    expect(env.PIPELINE_LEASE_MS).toBe(String(20_000 * 17_280));
    for (const name of ['RISK_COOLDOWN_MS', 'RISK_MAX_CANDLE_AGE_MS', 'PIPELINE_MAX_SIGNAL_AGE_CANDLES', 'EXITS_MAX_HOLDING_TIME_MS']) expect(env[name], name).toBeUndefined();
  });

  it('moves the seed ports by the port base and points the health monitor at every service', () => {
    expect(devPorts(8022)).toMatchObject({ 'signal-bridge': 8022, 'trade-executor': 8024, 'fill-tracker': 8029, 'health-monitor': 8030 });
    const env = devServiceEnv(input);
    expect(env).toMatchObject({ SIGNAL_BRIDGE_PORT: '18022', FILL_TRACKER_PORT: '18029', HEALTH_MONITOR_PORT: '18030' });
    expect(env.HEALTH_TARGETS?.split(',')).toHaveLength(7);
    expect(env.HEALTH_TARGETS).toContain('market-data=http://127.0.0.1:18026');
  });

  it('gives the live opt-in and the test key for the local fake only', () => {
    const liveKey = createTestKeyPair(); // made at test time: no key in the source
    expect(devServiceEnv({ ...input, liveKey })).toMatchObject({ TRADING_MODE: 'live', LIVE_TRADING_CONFIRM: 'I_ACCEPT_REAL_MONEY_RISK', COINBASE_API_KEY_NAME: liveKey.name });
    expect(() => devServiceEnv({ ...input, liveKey, coinbaseUrl: 'https://api.coinbase.com' })).toThrow(TradepipeError);
  });
});
