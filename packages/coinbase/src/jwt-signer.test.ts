import { createPublicKey } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '@tradepipe/core';
import { parseCdpKey } from './cdp-key.js';
import { createJwtSigner } from './jwt-signer.js';
import { createTestKeyPair } from './testing/test-keys.js';

/**
 * The documented layout, from coinbase/coinbase-advanced-py `coinbase/jwt_generator.py` (HEAD 54fb8ed) and
 * docs.cdp.coinbase.com/get-started/authentication/jwt-authentication:
 *   header  {"alg": "ES256", "kid": <key name>, "nonce": <random hex>, "typ": "JWT"}
 *   payload {"sub": <key name>, "iss": "cdp", "nbf": now, "exp": now + 120, "uri": "GET api.coinbase.com/api/v3/brokerage/accounts"}
 * The WebSocket token has the same claims without `uri`.
 */
const DOCUMENTED = {
  headerKeys: ['alg', 'kid', 'nonce', 'typ'],
  claimKeys: ['exp', 'iss', 'nbf', 'sub', 'uri'],
  lifetimeSeconds: 120,
  uri: 'GET api.coinbase.com/api/v3/brokerage/accounts',
};

describe('createJwtSigner', () => {
  for (const type of ['ec', 'ed25519'] as const) {
    it(`mints the documented header and claims (${type})`, async () => {
      const keys = createTestKeyPair({ type });
      const clock = createManualClock(1_790_000_000_000);
      const signer = createJwtSigner({ key: parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem }), clock });
      const token = await signer.signRest({ method: 'get', host: 'api.coinbase.com', path: '/api/v3/brokerage/accounts' });
      const header = decodeProtectedHeader(token);
      const claims = decodeJwt(token);
      expect(Object.keys(header).sort()).toEqual(DOCUMENTED.headerKeys);
      expect(header).toMatchObject({ alg: type === 'ec' ? 'ES256' : 'EdDSA', kid: keys.name, typ: 'JWT' });
      expect(header.nonce).toMatch(/^[0-9a-f]{32}$/);
      expect(Object.keys(claims).sort()).toEqual(DOCUMENTED.claimKeys);
      expect(claims).toEqual({ sub: keys.name, iss: 'cdp', nbf: 1_790_000_000, exp: 1_790_000_000 + DOCUMENTED.lifetimeSeconds, uri: DOCUMENTED.uri });
      const verified = await jwtVerify(token, keys.publicKey, { currentDate: new Date(clock.nowMs()) });
      expect(verified.payload.sub).toBe(keys.name);
    });
  }

  it('signs ES256 with a raw 64-byte r||s signature', async () => {
    const keys = createTestKeyPair({ type: 'ec' });
    const signer = createJwtSigner({ key: parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem }) });
    const token = await signer.signRest({ method: 'POST', host: 'api.coinbase.com', path: '/api/v3/brokerage/orders' });
    expect(Buffer.from(token.split('.')[2]!, 'base64url')).toHaveLength(64);
  });

  it('mints a fresh nonce per token and leaves uri out of WebSocket tokens', async () => {
    const keys = createTestKeyPair({ type: 'ec' });
    const signer = createJwtSigner({ key: parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem }) });
    const first = decodeProtectedHeader(await signer.signWebSocket());
    const second = decodeProtectedHeader(await signer.signWebSocket());
    expect(first.nonce).not.toBe(second.nonce);
    const claims = decodeJwt(await signer.signWebSocket());
    expect(claims.uri).toBeUndefined();
    expect(claims.iss).toBe('cdp');
  });

  it('is verifiable with the public key derived from the SEC1 key', async () => {
    const keys = createTestKeyPair({ type: 'ec' });
    expect(keys.privateKeyPem).toContain('BEGIN EC PRIVATE KEY');
    const key = parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem });
    const token = await createJwtSigner({ key }).signWebSocket();
    await expect(jwtVerify(token, createPublicKey(key.privateKey))).resolves.toBeDefined();
  });
});
