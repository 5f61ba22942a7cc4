import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LIVE_TRADING_CONFIRMATION, loadConfig, redactConfig } from './config.js';
import { REDACTED, isTradepipeError } from './errors.js';
import { createJsonLogger } from './logger.js';

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

  it('runs live without the approval secret only in a process that says it neither signs nor verifies approvals', () => {
    const live = { TRADING_MODE: 'live', LIVE_TRADING_CONFIRM: LIVE_TRADING_CONFIRMATION };
    expect(() => loadConfig(live)).toThrow(/live mode needs RISK_APPROVAL_SECRET/);
    expect(() => loadConfig(live, { requireApprovalSecret: true })).toThrow(/live mode needs RISK_APPROVAL_SECRET/);
    const unsigned = loadConfig(live, { requireApprovalSecret: false });
    expect(unsigned).toMatchObject({ mode: 'live', liveTradingConfirmed: true, approval: { secret: undefined, required: false } });
    // The confirmation is still needed, and a secret given is still checked.
    expect(() => loadConfig({ TRADING_MODE: 'live' }, { requireApprovalSecret: false })).toThrow(/LIVE_TRADING_CONFIRM/);
    expect(() => loadConfig({ ...live, RISK_APPROVAL_SECRET: 'short' }, { requireApprovalSecret: false })).toThrow(/at least 32 characters/);
  });

  it('takes an Ed25519 approval key instead of the secret (PEM, or one line with \\n escapes), never both', () => {
    const live = { TRADING_MODE: 'live', LIVE_TRADING_CONFIRM: LIVE_TRADING_CONFIRMATION };
    // A pair made for this test (no key lives in the source).
    const pair = generateKeyPairSync('ed25519');
    const publicKey = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(loadConfig({ ...live, RISK_APPROVAL_PUBLIC_KEY: publicKey }).approval.publicKeyPem).toBe(publicKey.trim());
    expect(loadConfig({ ...live, RISK_APPROVAL_PUBLIC_KEY: publicKey.trim().replaceAll('\n', '\\n') }).approval.publicKeyPem).toBe(publicKey.trim());
    expect(() => loadConfig({ ...live, RISK_APPROVAL_PUBLIC_KEY: 'not a key' })).toThrow(/RISK_APPROVAL_PUBLIC_KEY must be a PEM public key/);
    expect(() => loadConfig({ ...live, RISK_APPROVAL_PRIVATE_KEY: publicKey })).toThrow(/RISK_APPROVAL_PRIVATE_KEY must be a PEM private key/);
    expect(() => loadConfig({ ...live, RISK_APPROVAL_PUBLIC_KEY: publicKey, RISK_APPROVAL_SECRET: 'x'.repeat(32) })).toThrow(/not both/);
    // The private key is a secret to the config's redaction (the public key's field is redacted too: harmless).
    const config = loadConfig({ RISK_APPROVAL_PRIVATE_KEY: privateKey });
    const keyBody = privateKey.split('\n').filter((line) => line !== '' && !line.startsWith('-----')).join('');
    expect(JSON.stringify(redactConfig(config))).not.toContain(keyBody);
  });

  it('says what is wrong with the approval secret in words, never redacting the message nor showing the value', () => {
    const messageOf = (env: Record<string, string>): string => {
      try {
        loadConfig(env);
      } catch (error) {
        expect(isTradepipeError(error, 'config_invalid')).toBe(true);
        return (error as Error).message;
      }
      throw new Error('loadConfig accepted the environment');
    };
    const live = { TRADING_MODE: 'live', LIVE_TRADING_CONFIRM: LIVE_TRADING_CONFIRMATION };
    const tooShort = 'hunter2-is-too-short';
    const missing = messageOf(live);
    const short = messageOf({ ...live, RISK_APPROVAL_SECRET: tooShort });
    expect(missing).toBe('Invalid configuration: live mode needs RISK_APPROVAL_SECRET, or an Ed25519 key (RISK_APPROVAL_PRIVATE_KEY in risk, RISK_APPROVAL_PUBLIC_KEY where approvals are verified) (at approval.secret)');
    expect(short).toBe('Invalid configuration: RISK_APPROVAL_SECRET must be at least 32 characters (at approval.secret)');
    // The same messages pass the logger's redaction unchanged, and the value never appears in a line.
    const lines: string[] = [];
    const logger = createJsonLogger({ write: (line) => lines.push(line) });
    for (const message of [missing, short]) {
      logger.error('configuration refused', { reason: message });
      logger.error(message);
    }
    expect(lines.join('\n')).not.toContain(REDACTED);
    expect(lines.join('\n')).not.toContain(tooShort);
    expect(lines.map((line) => JSON.parse(line) as { message: string; reason?: string })).toEqual([
      expect.objectContaining({ message: 'configuration refused', reason: missing }),
      expect.objectContaining({ message: missing }),
      expect.objectContaining({ message: 'configuration refused', reason: short }),
      expect.objectContaining({ message: short }),
    ]);
  });

  it('refuses a TRADE_AMOUNT_USD of 0 or less, or not a finite decimal, with config_invalid naming the variable', () => {
    for (const amount of ['-100', '0', '0.00', '-0', '-0.01', 'Infinity', 'NaN', '1e3']) {
      let error: unknown;
      try {
        loadConfig({ TRADE_AMOUNT_USD: amount });
      } catch (thrown) {
        error = thrown;
      }
      expect(isTradepipeError(error, 'config_invalid'), amount).toBe(true);
      expect((error as Error).message, amount).toMatch(/tradeQuoteAmount/);
    }
    expect(() => loadConfig({ TRADE_AMOUNT_USD: '0' })).toThrow('Invalid configuration: TRADE_AMOUNT_USD must be greater than 0 (at tradeQuoteAmount)');
    expect(loadConfig({ TRADE_AMOUNT_USD: '0.01' }).tradeQuoteAmount).toBe('0.01');
    expect(loadConfig({ TRADE_AMOUNT_USD: '250.50' }).tradeQuoteAmount).toBe('250.5');
  });

  it('reads DB_SSL as true/false, 1/0 or yes/no in any case, and refuses anything else naming DB_SSL', () => {
    for (const text of ['true', 'TRUE', 'True', '1', 'yes', 'YES', ' true ']) expect(loadConfig({ DB_SSL: text }).database.ssl, text).toBe(true);
    for (const text of ['false', 'FALSE', '0', 'no', 'No']) expect(loadConfig({ DB_SSL: text }).database.ssl, text).toBe(false);
    expect(loadConfig({}).database.ssl).toBe(false);
    expect(loadConfig({ DB_SSL: '' }).database.ssl).toBe(false);
    for (const text of ['on', 'off', 'ture', '2', 'y', 'enabled', 'require']) {
      let error: unknown;
      try {
        loadConfig({ DB_SSL: text });
      } catch (thrown) {
        error = thrown;
      }
      expect(isTradepipeError(error, 'config_invalid'), text).toBe(true);
      expect((error as Error).message).toBe('Invalid configuration: DB_SSL must be true or false (also 1/0, yes/no)');
      expect((error as { details: Record<string, unknown> }).details).toEqual({ variable: 'DB_SSL' });
    }
  });

  it('reads ports as decimal digits only, takes an Ollama host only over http(s), and refuses a product named twice', () => {
    expect(loadConfig({ DB_PORT: '6432' }).database.port).toBe(6432);
    expect(loadConfig({ DB_PORT: ' 6432 ' }).database.port).toBe(6432);
    for (const text of ['0x10', ' 1e3', '5432.0', '-1', '0', '65536', 'abc']) expect(() => loadConfig({ DB_PORT: text }), text).toThrow(expect.objectContaining({ code: 'config_invalid' }));
    expect(loadConfig({ OLLAMA_HOST: 'https://ollama.internal:11434' }).ollama.host).toBe('https://ollama.internal:11434');
    for (const host of ['file:///etc/passwd', 'javascript:alert(1)', 'ftp://x']) expect(() => loadConfig({ OLLAMA_HOST: host }), host).toThrow(expect.objectContaining({ code: 'config_invalid' }));
    expect(() => loadConfig({ PRODUCTS: 'BTC-USD,BTC-USD' })).toThrow(expect.objectContaining({ code: 'config_invalid', message: expect.stringContaining('PRODUCTS names a product twice') }));
    expect(loadConfig({ PRODUCTS: 'BTC-USD,ETH-USD' }).products).toEqual(['BTC-USD', 'ETH-USD']);
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
