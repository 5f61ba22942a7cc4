import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TradepipeError, redactText } from './errors.js';
import { childLogger, createJsonLogger, redactFields, silentLogger, type Logger } from './logger.js';

const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJvcmdhbml6YXRpb25zIn0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';

describe('redaction', () => {
  it('removes values under secret-looking keys, at any depth', () => {
    const redacted = redactFields({ apiKey: 'k-123', nested: { privateKey: pem, DB_PASSWORD: 'hunter2', list: [{ secret: 's' }] }, productId: 'BTC-USD' });
    expect(JSON.stringify(redacted)).not.toMatch(/k-123|hunter2|BEGIN|"s"/);
    expect(redacted.productId).toBe('BTC-USD');
  });

  it('removes PEM blocks, JWTs, bearer tokens and URL passwords from free text', () => {
    const text = redactText(`key ${pem} token ${jwt} header Bearer abc.def url postgres://app:hunter2@db:5432/x password=swordfish`);
    for (const secret of ['BEGIN EC PRIVATE KEY', jwt, 'abc.def', 'hunter2', 'swordfish']) expect(text).not.toContain(secret);
    expect(text).toContain('postgres://app:[REDACTED]@db:5432/x');
  });

  it('still removes the value of a secret-named key or path written as `key: value` in free text', () => {
    const text = redactText('approval.secret: swordfish; privateKey = hunter2, "apiKey": "k-123" token:abc');
    for (const secret of ['swordfish', 'hunter2', 'k-123', 'abc']) expect(text).not.toContain(secret);
    expect(text).toBe('approval.secret: [REDACTED]; privateKey = [REDACTED], "apiKey": "[REDACTED]" token:[REDACTED]');
  });

  it('removes the values of env-var style names ending in a secret keyword, keeping the names alone', () => {
    const seed = 'MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oo6zgbBfYqTQoAoGCCqGSM49AwEHoUQDQgAE+Bgo/pQq==';
    const text = redactText(`RISK_APPROVAL_SECRET=abcdefghijklmnopqrstuvwxyz012345 DB_PASSWORD=hunter2 COINBASE_API_PRIVATE_KEY=${seed} COINBASE_API_KEY=k-123 GITHUB_TOKEN: ghp_abc`);
    for (const secret of ['abcdefghij', 'hunter2', seed.slice(0, 20), 'k-123', 'ghp_abc']) expect(text).not.toContain(secret);
    expect(text).toBe('RISK_APPROVAL_SECRET=[REDACTED] DB_PASSWORD=[REDACTED] COINBASE_API_PRIVATE_KEY=[REDACTED] COINBASE_API_KEY=[REDACTED] GITHUB_TOKEN: [REDACTED]');
    // A name without a value is not a secret, nor are words that merely contain a keyword.
    for (const plain of [
      'Invalid configuration: live mode needs RISK_APPROVAL_SECRET (at approval.secret)',
      'Invalid configuration: RISK_APPROVAL_SECRET must be at least 32 characters (at approval.secret)',
      'set DB_PASSWORD or DATABASE_URL; max_tokens=100 secretary=ok',
    ]) {
      expect(redactText(plain)).toBe(plain);
    }
  });

  it('removes a URL password that holds a raw @ up to the last @ before the host', () => {
    expect(redactText('connect postgres://app:p@ss@db:5432/x failed')).toBe('connect postgres://app:[REDACTED]@db:5432/x failed');
    expect(redactText('postgres://app:p@ss@w0rd@db/x and https://example.com:443/a@b')).toBe('postgres://app:[REDACTED]@db/x and https://example.com:443/a@b');
  });

  it('sanitises error causes: keeps name, code and status, drops the rest', () => {
    const cause = Object.assign(new Error(`request failed for postgres://u:topsecret@h/db with ${jwt}`), {
      code: 'ECONNRESET',
      status: 503,
      config: { headers: { Authorization: `Bearer ${jwt}` } },
    });
    const error = new TradepipeError('exchange_unavailable', `upstream said ${pem}`, { cause });
    const serialised = JSON.stringify({ message: error.message, cause: error.cause });
    expect(serialised).not.toMatch(/topsecret|BEGIN|eyJ|Authorization/);
    expect(error.cause).toMatchObject({ name: 'Error', code: 'ECONNRESET', status: 503 });
    expect(error.retryable).toBe(true);
  });

  it('never writes a secret through the JSON logger', () => {
    const lines: string[] = [];
    const logger = createJsonLogger({ write: (line) => lines.push(line), level: 'debug' });
    logger.error('order failed', { error: new Error(`jwt ${jwt}`), authorization: `Bearer ${jwt}`, url: 'https://u:p4ss@x.io' });
    expect(lines[0]).not.toMatch(/eyJ|p4ss/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', message: 'order failed', authorization: '[REDACTED]' });
  });

  it('redacts before a user-supplied sink sees anything', () => {
    const seen: unknown[] = [];
    const sink: Logger = { debug: (...args) => seen.push(args), info: (...args) => seen.push(args), warn: (...args) => seen.push(args), error: (...args) => seen.push(args) };
    childLogger(sink, { stage: 'execution' }).warn('order failed', { privateKey: pem, cause: new Error(`with ${jwt}`) });
    expect(JSON.stringify(seen)).not.toMatch(/BEGIN|eyJ/);
    expect(JSON.stringify(seen)).toContain('execution');
  });

  it('makes no copies for the silent logger: its children are the silent logger itself', () => {
    expect(childLogger(childLogger(silentLogger, { stage: 'risk' }), { productId: 'BTC-USD' })).toBe(silentLogger);
    const seen: unknown[] = [];
    const sink: Logger = { ...silentLogger, info: (...args) => seen.push(args) };
    childLogger(childLogger(sink, { stage: 'risk' }), { productId: 'BTC-USD' }).info('risk assessed', { token: 'abc' });
    expect(seen).toEqual([['risk assessed', { stage: 'risk', productId: 'BTC-USD', token: '[REDACTED]' }]]);
  });
});
