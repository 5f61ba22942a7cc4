/**
 * @packageDocumentation
 * The deployment's pieces for the `tradepipe` command (which bundles this private package into its own build):
 * the service program, the operator command, the service catalogue, the store and the health report.
 */
export { runOperatorProcess, runServiceProcess } from './service-process.js';
export { OPERATOR_USAGE, parseOperatorFill, runOperatorCommand } from './operator.js';
export { SERVICES, SERVICE_NAMES, resolveService, type ServiceDefinition, type ServiceName } from './service-catalog.js';
export { openStore, storeSchemaFromEnv } from './open-store.js';
export { aggregateHealth, healthTargets, type HealthTarget } from './health-monitor.js';
export { createServiceLogger } from './logging.js';
export { startService, type RunningService, type StartServiceOptions } from './run-service.js';
export { DEV_CLOCK_VARIABLES, MAX_DEV_CLOCK_RATE, createScaledClock, isLoopbackUrl, isScaledClock, readServiceClock, type ScaledClock } from './dev-clock.js';
