import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isTradepipeError, loadConfig, signRiskApproval, verifyRiskApproval } from '@tradepipe/core';
import { SERVICES, type ServiceName } from '../service-catalog.js';
import type { ServiceContext } from '../service-context.js';
import { createServiceApprovalSigner } from './approval-signer.js';

const pem = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
};
const keys = pem();
const SECRET = 'unit-test-approval-secret-32-characters-long';

/** The signer a service builds from this environment (only the service and its config are read). */
function signerOf(name: ServiceName, env: Record<string, string>) {
  return createServiceApprovalSigner({ service: SERVICES[name], config: loadConfig(env) } as unknown as ServiceContext);
}

function codeOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    if (isTradepipeError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'built';
}

const payload = { id: 'apv-1', recommendationId: 'rec-1', clientOrderId: 'client-1', productId: 'BTC-USD', side: 'BUY' as const, issuedAtMs: 1_000, expiresAtMs: 61_000 };

describe('the services\' approval signer', () => {
  it('Ed25519: risk-management signs with the private key; the executors verify with the public key and cannot sign', () => {
    const risk = signerOf('risk-management', { RISK_APPROVAL_PRIVATE_KEY: keys.privateKey, RISK_APPROVAL_PUBLIC_KEY: keys.publicKey });
    const approval = signRiskApproval(risk, payload);
    expect(approval.algorithm).toBe('Ed25519');
    for (const name of ['trade-executor', 'fill-tracker'] as const) {
      const verifier = signerOf(name, { RISK_APPROVAL_PUBLIC_KEY: keys.publicKey });
      expect(verifyRiskApproval(verifier, approval, 2_000)).toEqual(approval);
      expect(codeOf(() => verifier.sign(payload))).toMatch(/^config_invalid/);
      // Another pair's approval, or one changed after signing, is refused.
      expect(codeOf(() => verifyRiskApproval(verifier, signRiskApproval(signerOf('risk-management', { RISK_APPROVAL_PRIVATE_KEY: pem().privateKey }), payload), 2_000))).toMatch(/^approval_invalid/);
      expect(codeOf(() => verifyRiskApproval(verifier, { ...approval, maxQuoteAmount: '1000000' as never }, 2_000))).toMatch(/^approval_invalid/);
    }
    // A key given on one line with `\n` escapes (an env file) is read too.
    const oneLine = keys.publicKey.trim().replaceAll('\n', '\\n');
    expect(verifyRiskApproval(signerOf('trade-executor', { RISK_APPROVAL_PUBLIC_KEY: oneLine }), approval, 2_000)).toEqual(approval);
  });

  it('refuses a verifier given the private key, a signer given only the public key, keys that are not a pair, both forms, and neither', () => {
    expect(codeOf(() => signerOf('trade-executor', { RISK_APPROVAL_PRIVATE_KEY: keys.privateKey }))).toMatch(/^config_invalid: trade-executor only verifies approvals/);
    expect(codeOf(() => signerOf('fill-tracker', { RISK_APPROVAL_PRIVATE_KEY: keys.privateKey, RISK_APPROVAL_PUBLIC_KEY: keys.publicKey }))).toMatch(/^config_invalid/);
    expect(codeOf(() => signerOf('risk-management', { RISK_APPROVAL_PUBLIC_KEY: keys.publicKey }))).toMatch(/^config_invalid: risk-management signs approvals/);
    expect(codeOf(() => signerOf('risk-management', { RISK_APPROVAL_PRIVATE_KEY: keys.privateKey, RISK_APPROVAL_PUBLIC_KEY: pem().publicKey }))).toMatch(/not a pair/);
    expect(codeOf(() => signerOf('risk-management', { RISK_APPROVAL_PRIVATE_KEY: keys.privateKey, RISK_APPROVAL_SECRET: SECRET }))).toMatch(/^config_invalid: .*not both/);
    expect(codeOf(() => signerOf('trade-executor', {}))).toMatch(/^config_invalid: trade-executor needs RISK_APPROVAL_PRIVATE_KEY/);
    expect(codeOf(() => signerOf('trade-executor', { RISK_APPROVAL_PUBLIC_KEY: 'not a key' }))).toMatch(/^config_invalid/);
    // No message carries the key.
    const messages = [codeOf(() => signerOf('trade-executor', { RISK_APPROVAL_PRIVATE_KEY: keys.privateKey })), codeOf(() => signerOf('risk-management', { RISK_APPROVAL_PRIVATE_KEY: keys.privateKey, RISK_APPROVAL_SECRET: SECRET }))];
    for (const message of messages) expect(message).not.toContain('BEGIN');
  });

  it('HMAC: the shared secret still signs in risk-management and verifies in the executors', () => {
    const approval = signRiskApproval(signerOf('risk-management', { RISK_APPROVAL_SECRET: SECRET }), payload);
    expect(approval.algorithm).toBe('HMAC-SHA256');
    expect(verifyRiskApproval(signerOf('trade-executor', { RISK_APPROVAL_SECRET: SECRET }), approval, 2_000)).toEqual(approval);
  });
});
