import { TradepipeError, createHmacApprovalSigner, type ApprovalSigner } from '@tradepipe/core';
import type { ServiceContext } from '../service-context.js';

/**
 * The HMAC approval signer shared by risk (signs) and the executors (verify): `RISK_APPROVAL_KEY_ID` and
 * the secret `RISK_APPROVAL_SECRET` (at least 32 characters), required in paper mode too.
 * @throws TradepipeError `config_invalid` if the secret is missing.
 */
export function createServiceApprovalSigner(context: ServiceContext): ApprovalSigner {
  const secret = context.config.approval.secret;
  if (secret === undefined) {
    throw new TradepipeError('config_invalid', `${context.service.name} needs RISK_APPROVAL_SECRET (at least 32 characters, shared by risk-management, trade-executor and fill-tracker)`);
  }
  return createHmacApprovalSigner({ keyId: context.config.approval.keyId, secret });
}
