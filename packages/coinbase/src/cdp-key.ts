import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { TradepipeError } from '@tradepipe/core';

/** The JWT algorithm a CDP key signs with: ES256 for ECDSA P-256 keys, EdDSA for Ed25519 keys. */
export type CdpKeyAlgorithm = 'ES256' | 'EdDSA';

/**
 * A loaded Coinbase Developer Platform API key. The private key is held as a `KeyObject` only: its text
 * is not kept, and `toJSON` prints the key name alone, so a key never ends up in logs or rows.
 */
export interface CdpKey {
  /** `organizations/{org_id}/apiKeys/{key_id}`: the JWT `kid` and `sub`. */
  readonly name: string;
  /** The JWT algorithm this key signs with: `ES256` for a P-256 key, `EdDSA` for an Ed25519 key. */
  readonly algorithm: CdpKeyAlgorithm;
  /** The private key as a Node `KeyObject`; its PEM text is not kept. */
  readonly privateKey: KeyObject;
  /** What `JSON.stringify` prints: the key name and algorithm only, never the private key. */
  toJSON(): { readonly name: string; readonly algorithm: CdpKeyAlgorithm };
}

/** Where {@link loadCdpKey} reads a key from: the key JSON file, the two values, or environment variables. */
export interface CdpKeySource {
  /** Path of the JSON file Coinbase hands out: `{"name": "...", "privateKey": "-----BEGIN EC PRIVATE KEY-----\n..."}`. */
  readonly keyFile?: string;
  /** The key name, given directly. */
  readonly name?: string;
  /** The private key text, given directly (PEM, literal `\n` accepted, or base64 of an Ed25519 seed). */
  readonly privateKey?: string;
  /** Environment to read when nothing else is given (default: none; pass `process.env` explicitly). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Variable holding the key name (default `COINBASE_API_KEY_NAME`). */
  readonly nameVariable?: string;
  /** Variable holding the private key (default `COINBASE_API_PRIVATE_KEY`). */
  readonly privateKeyVariable?: string;
  /** Variable holding a key file path, read when the two values are absent (default `COINBASE_API_KEY_FILE`). */
  readonly keyFileVariable?: string;
}

const KeyFileSchema = z.object({ name: z.string().min(1), privateKey: z.string().min(1) });
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * Parses a CDP key from its name and private key text: SEC1 (`BEGIN EC PRIVATE KEY`) or PKCS8 PEM of a
 * P-256 key (ES256), PKCS8 PEM of an Ed25519 key, or base64 of a 32-byte Ed25519 seed or 64-byte
 * seed‖public key (EdDSA). Literal `\n` sequences (keys pasted from JSON into variables) are accepted.
 * @returns the key, holding a `KeyObject`
 * @throws TradepipeError `config_invalid` if the key cannot be read or is of another type; the message never contains the key.
 * @example
 * const key = parseCdpKey({ name: 'organizations/o/apiKeys/k', privateKey: process.env.COINBASE_API_PRIVATE_KEY ?? '' });
 */
export function parseCdpKey(input: { readonly name: string; readonly privateKey: string }): CdpKey {
  const privateKey = readPrivateKey(input.privateKey.replace(/\\n/g, '\n').trim());
  const algorithm = algorithmOf(privateKey);
  const name = input.name.trim();
  if (name.length === 0) throw new TradepipeError('config_invalid', 'The CDP key name is empty');
  return { name, algorithm, privateKey, toJSON: () => ({ name, algorithm }) };
}

function readPrivateKey(text: string): KeyObject {
  try {
    if (text.includes('-----BEGIN')) return createPrivateKey({ key: text, format: 'pem' });
    const raw = Buffer.from(text, 'base64');
    if (raw.length !== 32 && raw.length !== 64) throw new Error('unexpected key length');
    return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, raw.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
  } catch {
    // The cause may quote the key; it is dropped on purpose.
    throw new TradepipeError('config_invalid', 'Could not read the CDP private key (expected EC or Ed25519 PEM, or a base64 Ed25519 seed)');
  }
}

function algorithmOf(key: KeyObject): CdpKeyAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new TradepipeError('config_invalid', 'The CDP key must be ECDSA P-256 or Ed25519', {
    details: { keyType: key.asymmetricKeyType ?? 'unknown' },
  });
}

/**
 * Loads a CDP key: from `name` + `privateKey` if given, else from `keyFile`, else from `env`
 * (`COINBASE_API_KEY_NAME` + `COINBASE_API_PRIVATE_KEY`, or a file named by `COINBASE_API_KEY_FILE`).
 * @returns the parsed key
 * @throws TradepipeError `config_invalid` if no source is complete, the file is unreadable or not the key JSON, or the key is unusable.
 * @example
 * const key = await loadCdpKey({ keyFile: './cdp_api_key.json' });
 * const fromEnv = await loadCdpKey({ env: process.env });
 */
export async function loadCdpKey(source: CdpKeySource): Promise<CdpKey> {
  if (source.name !== undefined && source.privateKey !== undefined) return parseCdpKey({ name: source.name, privateKey: source.privateKey });
  const env = source.env ?? {};
  const keyFile = source.keyFile ?? env[source.keyFileVariable ?? 'COINBASE_API_KEY_FILE'];
  const name = env[source.nameVariable ?? 'COINBASE_API_KEY_NAME'];
  const privateKey = env[source.privateKeyVariable ?? 'COINBASE_API_PRIVATE_KEY'];
  if (source.keyFile === undefined && name !== undefined && privateKey !== undefined) return parseCdpKey({ name, privateKey });
  if (keyFile === undefined) {
    throw new TradepipeError('config_invalid', 'No CDP key given: pass keyFile, name and privateKey, or env with COINBASE_API_KEY_NAME and COINBASE_API_PRIVATE_KEY');
  }
  let text: string;
  try {
    text = await readFile(keyFile, 'utf8');
  } catch (error) {
    throw new TradepipeError('config_invalid', 'Could not read the CDP key file', { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TradepipeError('config_invalid', 'The CDP key file is not JSON');
  }
  const parsed = KeyFileSchema.safeParse(json);
  if (!parsed.success) throw new TradepipeError('config_invalid', 'The CDP key file needs string fields name and privateKey');
  return parseCdpKey(parsed.data);
}
