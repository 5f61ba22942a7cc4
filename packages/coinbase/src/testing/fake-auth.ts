import type { KeyObject } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';

/** A key the fake accepts: its name and public key, and whether it may trade. */
export interface FakeApiKey {
  /** The key name a JWT must carry as `kid` and `sub`, e.g. `organizations/{org}/apiKeys/{key}`. */
  readonly name: string;
  /** The public key the JWT signature is verified with (ES256 or EdDSA). */
  readonly publicKey: KeyObject;
  /** Without the trade scope, order endpoints answer 403 (default true). */
  readonly canTrade?: boolean;
}

/**
 * Verifies a Coinbase JWT as the real API does: signature against the named key (ES256 or EdDSA),
 * `iss: "cdp"`, `sub` equal to `kid`, `nbf`/`exp` at `nowMs`, and `uri` equal to `expectedUri` when given
 * (REST). Returns the key, or undefined for any failure (the caller answers 401).
 * @internal
 */
export async function verifyFakeJwt(
  token: string,
  keys: ReadonlyMap<string, FakeApiKey>,
  options: { readonly nowMs: number; readonly expectedUri?: string },
): Promise<FakeApiKey | undefined> {
  try {
    const header = decodeProtectedHeader(token);
    if (typeof header.kid !== 'string' || header.typ !== 'JWT' || typeof header.nonce !== 'string') return undefined;
    const key = keys.get(header.kid);
    if (key === undefined) return undefined;
    const { payload } = await jwtVerify(token, key.publicKey, {
      algorithms: ['ES256', 'EdDSA'],
      issuer: 'cdp',
      subject: key.name,
      currentDate: new Date(options.nowMs),
      requiredClaims: ['nbf', 'exp'],
    });
    if (options.expectedUri !== undefined && payload.uri !== options.expectedUri) return undefined;
    return key;
  } catch {
    return undefined;
  }
}
