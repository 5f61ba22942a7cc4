import type { ServiceContext, ServiceDependencies } from '../service-context.js';
import { bridgeDependencies } from './bridge.js';
import { executorDependencies } from './executor.js';
import { marketDataDependencies } from './market-data.js';
import { riskDependencies } from './risk.js';
import { signalDependencies } from './signal.js';
import { validationDependencies } from './validation.js';

/** Builds the slots, start hooks and background loops of one service. */
export async function buildDependencies(context: ServiceContext): Promise<ServiceDependencies> {
  switch (context.service.name) {
    case 'market-data':
      return marketDataDependencies(context);
    case 'signal-generator':
      return signalDependencies(context);
    case 'signal-bridge':
      return bridgeDependencies(context);
    case 'trade-orchestrator':
      return validationDependencies(context);
    case 'risk-management':
      return riskDependencies(context);
    case 'trade-executor':
    case 'fill-tracker':
      return executorDependencies(context);
    case 'health-monitor':
      return { slots: {} };
  }
}
