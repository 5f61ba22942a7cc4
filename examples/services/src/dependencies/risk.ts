import { createRiskManager } from '@tradepipe/risk';
import { DEFAULT_RISK_LIMITS, readPackageOptions } from '../package-options.js';
import type { ServiceContext, ServiceDependencies } from '../service-context.js';
import { createServiceApprovalSigner } from './approval-signer.js';
import { fundPaperAccount } from './paper-account.js';

/**
 * risk-management (8027): the `risk` stage: limits from `RISK_*` (parsed by `RiskLimitsSchema`), signed
 * single-use approvals whose exposure is reserved in the same transaction as the limit check, so replicas
 * cannot spend the same room.
 */
export function riskDependencies(context: ServiceContext): ServiceDependencies {
  const limits = readPackageOptions('riskLimits', context.env, DEFAULT_RISK_LIMITS);
  const risk = createRiskManager({ limits, signer: createServiceApprovalSigner(context), approvalTtlMs: context.settings.approvalTtlMs, logger: context.logger });
  return {
    slots: { risk },
    ...(context.config.mode === 'paper' ? { beforeStart: () => fundPaperAccount(context) } : {}),
  };
}
