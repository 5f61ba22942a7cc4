import { TradepipeError, createEd25519ApprovalSigner, createHmacApprovalSigner, type ApprovalSigner } from '@tradepipe/core';
import type { ServiceContext } from '../service-context.js';

/**
 * The approval signer of a service that signs (risk-management) or verifies (trade-executor, fill-tracker) risk
 * approvals, required in paper mode too. Either Ed25519 (recommended): risk-management is given the private key
 * (`RISK_APPROVAL_PRIVATE_KEY`, PEM) and signs, the others only the public key (`RISK_APPROVAL_PUBLIC_KEY`) and can only
 * verify, so that no executor can make an approval of its own; or HMAC (`RISK_APPROVAL_SECRET`, at least 32 characters),
 * one secret all three share, which lets any of them sign. `RISK_APPROVAL_KEY_ID` names the key in each approval.
 * @throws TradepipeError `config_invalid` if the service has neither; if a verifying service is given the private key
 *   (it could sign); if the signing service has only the public key; if the two keys given are not a pair.
 */
export function createServiceApprovalSigner(context: ServiceContext): ApprovalSigner {
  const { keyId, secret, privateKeyPem, publicKeyPem } = context.config.approval;
  const name = context.service.name;
  const signs = context.service.stage === 'risk';
  if (privateKeyPem !== undefined || publicKeyPem !== undefined) {
    if (!signs && privateKeyPem !== undefined) {
      throw new TradepipeError('config_invalid', `${name} only verifies approvals: give it RISK_APPROVAL_PUBLIC_KEY, never the private key (with it, it could approve its own orders)`);
    }
    if (signs && privateKeyPem === undefined) throw new TradepipeError('config_invalid', `${name} signs approvals: it needs RISK_APPROVAL_PRIVATE_KEY (Ed25519, PEM)`);
    const signer = createEd25519ApprovalSigner({ keyId, ...(privateKeyPem === undefined ? {} : { privateKeyPem }), ...(publicKeyPem === undefined ? {} : { publicKeyPem }) });
    if (signs && publicKeyPem !== undefined) assertKeyPair(signer, name);
    return signer;
  }
  if (secret === undefined) {
    throw new TradepipeError(
      'config_invalid',
      `${name} needs RISK_APPROVAL_PRIVATE_KEY (risk-management) or RISK_APPROVAL_PUBLIC_KEY (trade-executor, fill-tracker), or the shared RISK_APPROVAL_SECRET (at least 32 characters)`,
    );
  }
  return createHmacApprovalSigner({ keyId, secret });
}

/** Refuses a private and a public key that are not a pair: the risk service's approvals would fail every verification. */
function assertKeyPair(signer: ApprovalSigner, name: string): void {
  const probe = { id: 'key-pair-probe', recommendationId: 'probe', clientOrderId: 'probe', productId: 'BTC-USD', side: 'BUY' as const, issuedAtMs: 0, expiresAtMs: 1 };
  if (!signer.verify(probe, signer.sign(probe))) throw new TradepipeError('config_invalid', `${name}: RISK_APPROVAL_PRIVATE_KEY and RISK_APPROVAL_PUBLIC_KEY are not a pair`);
}
