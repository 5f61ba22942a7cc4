import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { systemClock, type Clock } from '@tradepipe/core';
import type { CdpKey } from './cdp-key.js';

/** Mints the per-request JWTs Coinbase Advanced Trade expects. */
export interface JwtSigner {
  /** The key name (`kid` and `sub`). */
  readonly keyName: string;
  /**
   * A JWT for one REST request. `uri` is `"<METHOD> <host><path>"`: no scheme, no query string.
   * @param request.host host as sent (`api.coinbase.com`, or `127.0.0.1:port` for a local fake)
   * @param request.path the path without query, e.g. `/api/v3/brokerage/accounts`
   */
  signRest(request: { readonly method: string; readonly host: string; readonly path: string }): Promise<string>;
  /** A JWT for a WebSocket subscribe message: the same claims without `uri`. */
  signWebSocket(): Promise<string>;
}

/** Options of {@link createJwtSigner}. */
export interface JwtSignerOptions {
  /** The CDP key whose name goes in `kid`/`sub` and whose private key signs each token. */
  readonly key: CdpKey;
  /** Time source for `nbf`/`exp` (default the system clock). */
  readonly clock?: Clock;
  /** Lifetime of each token, seconds (Coinbase's SDKs use 120). */
  readonly expiresInSeconds?: number;
}

/**
 * Creates a JWT signer for a CDP key, following Coinbase's documented layout (advanced-py
 * `jwt_generator.py`): header `{alg, kid, nonce, typ: "JWT"}`, claims `{sub, iss: "cdp", nbf, exp, uri}`,
 * ES256 with a raw r‖s signature or EdDSA. A fresh token is minted per request.
 * @returns the signer
 * @example
 * const signer = createJwtSigner({ key: await loadCdpKey({ keyFile: './cdp_api_key.json' }) });
 * const jwt = await signer.signRest({ method: 'GET', host: 'api.coinbase.com', path: '/api/v3/brokerage/accounts' });
 */
export function createJwtSigner(options: JwtSignerOptions): JwtSigner {
  const clock = options.clock ?? systemClock;
  const lifetimeSeconds = options.expiresInSeconds ?? 120;
  const { name, algorithm, privateKey } = options.key;
  const sign = (extra: Readonly<Record<string, string>>): Promise<string> => {
    const nowSeconds = Math.floor(clock.nowMs() / 1000);
    return new SignJWT({ sub: name, iss: 'cdp', nbf: nowSeconds, exp: nowSeconds + lifetimeSeconds, ...extra })
      .setProtectedHeader({ alg: algorithm, kid: name, nonce: randomBytes(16).toString('hex'), typ: 'JWT' })
      .sign(privateKey);
  };
  return {
    keyName: name,
    signRest: (request) => sign({ uri: `${request.method.toUpperCase()} ${request.host}${request.path}` }),
    signWebSocket: () => sign({}),
  };
}
