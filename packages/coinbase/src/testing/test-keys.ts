import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';

/** A CDP-shaped key pair made at test time: never commit one. */
export interface TestKeyPair {
  /** `organizations/{uuid}/apiKeys/{uuid}`. */
  readonly name: string;
  /** `ec` (P-256, signs ES256) or `ed25519` (signs EdDSA). */
  readonly type: 'ec' | 'ed25519';
  /** The private key as Coinbase hands it out: SEC1 PEM for `ec`, PKCS8 PEM for `ed25519`. */
  readonly privateKeyPem: string;
  /** The public key, for the fake's JWT verification. */
  readonly publicKey: KeyObject;
  /** The content of a CDP key file: `{"name","privateKey"}`. */
  readonly keyFileJson: string;
}

/**
 * Generates a fresh key pair shaped like a Coinbase CDP API key, for tests against the fake exchange.
 * @param options.type `ec` (P-256, SEC1 PEM, ES256; the default) or `ed25519` (PKCS8 PEM, EdDSA)
 * @returns the key pair with a random key name
 * @example
 * const keys = createTestKeyPair({ type: 'ec' });
 * const fake = await startFakeCoinbase({ keys: [keys] });
 */
export function createTestKeyPair(options: { readonly type?: 'ec' | 'ed25519' } = {}): TestKeyPair {
  const type = options.type ?? 'ec';
  const name = `organizations/${randomUUID()}/apiKeys/${randomUUID()}`;
  const pair = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('ed25519');
  const privateKeyPem =
    type === 'ec'
      ? pair.privateKey.export({ type: 'sec1', format: 'pem' }).toString()
      : pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { name, type, privateKeyPem, publicKey: pair.publicKey, keyFileJson: JSON.stringify({ name, privateKey: privateKeyPem }) };
}
