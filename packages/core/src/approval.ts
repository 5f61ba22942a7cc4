import { createHmac, createPrivateKey, createPublicKey, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { TradepipeError } from './errors.js';
import { canonicalJson } from './ids.js';
import type { ApprovalAlgorithm, RiskApproval } from './records/risk.js';

/** The approval fields that are signed. */
export type ApprovalPayload = Omit<RiskApproval, 'signature' | 'algorithm' | 'keyId'>;

/** Signs and verifies risk approvals. Risk holds one that can sign; executors need only verify. */
export interface ApprovalSigner {
  /**
   * Names the key; written on each approval it signs, and an approval with another key id is refused as
   * `approval_invalid`.
   */
  readonly keyId: string;
  /** `HMAC-SHA256` (shared secret) or `Ed25519` (risk signs, executors verify with the public key). */
  readonly algorithm: ApprovalAlgorithm;
  /** base64url signature over the canonical payload. */
  sign(payload: ApprovalPayload): string;
  /** Whether the signature matches the payload. Never throws for a bad signature. */
  verify(payload: ApprovalPayload, signature: string): boolean;
}

/** The bytes that are signed: canonical JSON of every field but the signature, algorithm and key id. */
export function approvalPayload(approval: ApprovalPayload | RiskApproval): string {
  const { recommendationId, clientOrderId, productId, side, maxQuoteAmount, maxBaseSize, issuedAtMs, expiresAtMs, id } = approval;
  // Flat values (the approval's strings and numbers): keys written already sorted give the canonical JSON as is
  // (JSON.stringify drops undefined fields as canonicalJson does); anything nested goes through canonicalJson.
  const flat = (value: unknown): boolean => value === null || typeof value !== 'object';
  if (flat(recommendationId) && flat(clientOrderId) && flat(productId) && flat(side) && flat(maxQuoteAmount) && flat(maxBaseSize) && flat(issuedAtMs) && flat(expiresAtMs) && flat(id)) {
    return JSON.stringify({ clientOrderId, expiresAtMs, id, issuedAtMs, maxBaseSize, maxQuoteAmount, productId, recommendationId, side, v: 1 });
  }
  return canonicalJson({ v: 1, id, recommendationId, clientOrderId, productId, side, maxQuoteAmount, maxBaseSize, issuedAtMs, expiresAtMs });
}

/**
 * An HMAC-SHA256 approval signer from a shared secret (at least 32 bytes), e.g. `RISK_APPROVAL_SECRET`.
 * @throws TradepipeError `config_invalid` if the secret is shorter than 32 bytes.
 * @example
 * const signer = createHmacApprovalSigner({ keyId: 'risk-1', secret: process.env.RISK_APPROVAL_SECRET! });
 */
export function createHmacApprovalSigner(options: { keyId: string; secret: string }): ApprovalSigner {
  if (Buffer.byteLength(options.secret) < 32) {
    throw new TradepipeError('config_invalid', 'The approval secret must be at least 32 bytes');
  }
  const secret = options.secret;
  const mac = (payload: ApprovalPayload): Buffer => createHmac('sha256', secret).update(approvalPayload(payload)).digest();
  return {
    keyId: options.keyId,
    algorithm: 'HMAC-SHA256',
    sign: (payload) => mac(payload).toString('base64url'),
    verify(payload, signature) {
      const expected = mac(payload);
      const given = Buffer.from(signature, 'base64url');
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/**
 * An Ed25519 approval signer: risk signs with the private key, executors verify with the public key only
 * (pass `publicKeyPem` alone to get a verify-only signer whose `sign` throws).
 * @throws TradepipeError `config_invalid` if neither key is given or a key is not Ed25519.
 */
export function createEd25519ApprovalSigner(options: { keyId: string; privateKeyPem?: string; publicKeyPem?: string }): ApprovalSigner {
  let privateKey: KeyObject | undefined;
  let publicKey: KeyObject;
  try {
    privateKey = options.privateKeyPem === undefined ? undefined : createPrivateKey(options.privateKeyPem);
    publicKey = options.publicKeyPem === undefined ? createPublicKey(privateKey!) : createPublicKey(options.publicKeyPem);
  } catch {
    throw new TradepipeError('config_invalid', 'Could not read the Ed25519 approval key');
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new TradepipeError('config_invalid', 'The approval key is not Ed25519');
  return {
    keyId: options.keyId,
    algorithm: 'Ed25519',
    sign(payload) {
      if (privateKey === undefined) throw new TradepipeError('config_invalid', 'This approval signer can only verify');
      return sign(null, Buffer.from(approvalPayload(payload)), privateKey).toString('base64url');
    },
    verify(payload, signature) {
      try {
        return verify(null, Buffer.from(approvalPayload(payload)), publicKey, Buffer.from(signature, 'base64url'));
      } catch {
        return false;
      }
    },
  };
}

/**
 * Signs an approval payload, returning the full {@link RiskApproval}.
 * @example
 * const approval = signRiskApproval(signer, { id, recommendationId, clientOrderId, productId: 'BTC-USD', side: 'BUY',
 *   maxQuoteAmount: decimal('100'), issuedAtMs, expiresAtMs });
 */
export function signRiskApproval(signer: ApprovalSigner, payload: ApprovalPayload): RiskApproval {
  return { ...payload, keyId: signer.keyId, algorithm: signer.algorithm, signature: signer.sign(payload) };
}

/**
 * Checks an approval before it is consumed: the key and algorithm are the verifier's, the signature
 * matches every signed field, and it has not expired at `nowMs`. Single use is enforced by the store.
 * @throws TradepipeError `approval_invalid` (missing, unsigned, forged, altered, other key) or `approval_expired`.
 */
export function verifyRiskApproval(signer: ApprovalSigner, approval: RiskApproval | undefined, nowMs: number): RiskApproval {
  if (approval === undefined) throw new TradepipeError('approval_invalid', 'No risk approval was presented');
  const details = { approvalId: approval.id, recommendationId: approval.recommendationId };
  if (approval.keyId !== signer.keyId || approval.algorithm !== signer.algorithm) {
    throw new TradepipeError('approval_invalid', 'The risk approval was signed with another key', { details });
  }
  if (!signer.verify(approval, approval.signature)) {
    throw new TradepipeError('approval_invalid', 'The risk approval signature does not match its content', { details });
  }
  if (nowMs >= approval.expiresAtMs) throw new TradepipeError('approval_expired', 'The risk approval has expired', { details });
  return approval;
}
