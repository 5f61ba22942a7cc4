import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTradepipeError } from '@tradepipe/core';
import { loadCdpKey, parseCdpKey } from './cdp-key.js';
import { createTestKeyPair } from './testing/test-keys.js';

describe('loadCdpKey', () => {
  it('reads the key JSON file Coinbase hands out (SEC1 EC PEM)', async () => {
    const keys = createTestKeyPair({ type: 'ec' });
    const directory = await mkdtemp(join(tmpdir(), 'cdp-key-'));
    try {
      const file = join(directory, 'cdp_api_key.json');
      await writeFile(file, keys.keyFileJson);
      const key = await loadCdpKey({ keyFile: file });
      expect(key.name).toBe(keys.name);
      expect(key.algorithm).toBe('ES256');
      expect(JSON.stringify(key)).toBe(JSON.stringify({ name: keys.name, algorithm: 'ES256' }));
    } finally {
      await rm(directory, { recursive: true });
    }
  });

  it('reads variables with literal \\n sequences', async () => {
    const keys = createTestKeyPair({ type: 'ec' });
    const env = { COINBASE_API_KEY_NAME: keys.name, COINBASE_API_PRIVATE_KEY: keys.privateKeyPem.replace(/\n/g, '\\n') };
    const key = await loadCdpKey({ env });
    expect(key.algorithm).toBe('ES256');
  });

  it('reads Ed25519 as PKCS8 PEM and as a base64 seed or seed||public key', async () => {
    const keys = createTestKeyPair({ type: 'ed25519' });
    expect(parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem }).algorithm).toBe('EdDSA');
    const jwk = parseCdpKey({ name: keys.name, privateKey: keys.privateKeyPem }).privateKey.export({ format: 'jwk' });
    const seed = Buffer.from(jwk.d!, 'base64url');
    const publicKey = Buffer.from(jwk.x!, 'base64url');
    expect(parseCdpKey({ name: keys.name, privateKey: seed.toString('base64') }).algorithm).toBe('EdDSA');
    expect(parseCdpKey({ name: keys.name, privateKey: Buffer.concat([seed, publicKey]).toString('base64') }).algorithm).toBe('EdDSA');
  });

  it('refuses a broken key without quoting it', async () => {
    const secret = 'not-a-key-but-secret-text-1234567890';
    // A generated key's PEM armour around a body that is not a key.
    const broken = createTestKeyPair({ type: 'ec' }).privateKeyPem.replace(/\n[\s\S]*\n(?=-----END)/, `\n${secret}\n`);
    expect(broken).toContain(secret);
    try {
      parseCdpKey({ name: 'organizations/o/apiKeys/k', privateKey: broken });
      expect.unreachable();
    } catch (error) {
      expect(isTradepipeError(error, 'config_invalid')).toBe(true);
      expect(JSON.stringify(error) + String(error) + JSON.stringify((error as Error).cause ?? '')).not.toContain(secret);
    }
  });

  it('says what is missing when no source is complete', async () => {
    await expect(loadCdpKey({ env: {} })).rejects.toMatchObject({ code: 'config_invalid' });
  });
});
