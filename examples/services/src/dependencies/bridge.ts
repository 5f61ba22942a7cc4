import { createDefaultRecommendationPolicy } from '@tradepipe/core';
import { readPackageOptions } from '../package-options.js';
import type { ServiceContext, ServiceDependencies } from '../service-context.js';

/** signal-bridge (8022): the `bridge` stage with core's default policy ($`TRADE_AMOUNT_USD` per BUY). */
export function bridgeDependencies(context: ServiceContext): ServiceDependencies {
  const policy = createDefaultRecommendationPolicy({ ...readPackageOptions('policy', context.env), tradeQuoteAmount: context.config.tradeQuoteAmount });
  return { slots: { policy } };
}
