import { describe, expect, it } from 'vitest';
import { LIVE_TRADING_CONFIRMATION, loadConfig, redactConfig } from './config.js';
import { isTradepipeError } from './errors.js';

const secret = 'x'.repeat(40);

describe('loadConfig', () => {
  it('defaults to paper trading with the seed ports', () => {
    const config = loadConfig({});
    expect(config.mode).toBe('paper');
    expect(config.ports).toMatchObject({ signalBridge: 8022, tradeExecutor: 8024, riskManagement: 8027, healthMonitor: 8030 });
    expect(config.ollama.host).toBe('http://127.0.0.1:11434');
    expect(config.tradeQuoteAmount).toBe('100');
  });

  it('refuses live mode without the explicit confirmation', () => {
    for (const env of [{ TRADING_MODE: 'live' }, { TRADING_MODE: 'live', LIVE_TRADING_CONFIRM: 'yes' }]) {
      let error: unknown;
      try {
        loadConfig({ ...env, RISK_APPROVAL_SECRET: secret });
      } catch (thrown) {
        error = thrown;
      }
      expect(isTradepipeError(error, 'live_trading_not_enabled')).toBe(true);
    }
    const live = loadConfig({ TRADING_MODE: 'live', LIVE_TRADING_CONFIRM: LIVE_TRADING_CONFIRMATION, RISK_APPROVAL_SECRET: secret });
    expect(live).toMatchObject({ mode: 'live', liveTradingConfirmed: true });
  });

  it('needs an approval secret in live mode and refuses bad values', () => {
    expect(() => loadConfig({ TRADING_MODE: 'live', LIVE_TRADING_CONFIRM: LIVE_TRADING_CONFIRMATION })).toThrow(/RISK_APPROVAL_SECRET/);
    expect(() => loadConfig({ DB_PORT: 'eighty' })).toThrow(/configuration/);
    expect(() => loadConfig({ PRODUCTS: 'btc usd' })).toThrow();
  });

  it('reads the seed database variables and redacts secrets when printed', () => {
    const config = loadConfig({ DB_HOST: 'postgres', DB_PORT: '5433', DB_PASSWORD: 'hunter2', DATABASE_URL: 'postgres://app:hunter2@db/x', RISK_APPROVAL_SECRET: secret, PRODUCTS: 'BTC-USD,ETH-USD' });
    expect(config.database).toMatchObject({ host: 'postgres', port: 5433 });
    expect(config.products).toEqual(['BTC-USD', 'ETH-USD']);
    const printed = JSON.stringify(redactConfig(config));
    expect(printed).not.toContain('hunter2');
    expect(printed).not.toContain(secret);
  });
});
