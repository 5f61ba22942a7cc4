import { DEFAULT_SERVICE_PORTS, SERVICE_PORT_ENV_VARS, TradepipeError, type StageName } from '@tradepipe/core';

/** A deployable service of the seed's design: its name, the config key of its port, the stage it runs. */
export interface ServiceDefinition {
  readonly name: ServiceName;
  /** Key in core's `DEFAULT_SERVICE_PORTS` / `TradepipeConfig.ports`. */
  readonly portKey: keyof typeof DEFAULT_SERVICE_PORTS;
  /** The pipeline stage the service runs; `undefined` for the health monitor. */
  readonly stage: StageName | undefined;
  /** Replicas in the Kubernetes manifests. */
  readonly replicas: number;
  readonly summary: string;
  /**
   * The keys of the Secret `crypto-trading-secrets` the service reads, and the only ones its Deployment is given
   * (`secretKeyRef`): the approval secret only where approvals are signed (risk) or verified (execution, fills),
   * the Coinbase key only where orders are placed or followed (execution, fills: market-data reads Coinbase's public
   * endpoints and market channels, which need no key); a compromised pod holds no more than it needs.
   */
  readonly secrets: readonly ServiceSecret[];
}

/** A key of the Secret `crypto-trading-secrets` (see examples/kubernetes/secret.example.env). */
export type ServiceSecret =
  | 'DB_PASSWORD'
  | 'DATABASE_URL'
  | 'RISK_APPROVAL_SECRET'
  | 'RISK_APPROVAL_PRIVATE_KEY'
  | 'RISK_APPROVAL_PUBLIC_KEY'
  | 'COINBASE_API_KEY_NAME'
  | 'COINBASE_API_PRIVATE_KEY'
  | 'COINBASE_API_KEY_FILE';

/**
 * Keys a Deployment takes only if the Secret holds them (`optional: true`), as `envFrom` took them: every one. The
 * approval material comes in one of two forms (an Ed25519 key pair, or the shared HMAC secret), so no single key of
 * it is required: a service that signs or verifies approvals and is given neither refuses to start (`config_invalid`).
 */
export const OPTIONAL_SECRETS: ReadonlySet<ServiceSecret> = new Set([
  'DB_PASSWORD',
  'DATABASE_URL',
  'RISK_APPROVAL_SECRET',
  'RISK_APPROVAL_PRIVATE_KEY',
  'RISK_APPROVAL_PUBLIC_KEY',
  'COINBASE_API_KEY_NAME',
  'COINBASE_API_PRIVATE_KEY',
  'COINBASE_API_KEY_FILE',
]);

/** The database password, and the whole URL when the Secret gives one (it may hold the password). */
const DB: readonly ServiceSecret[] = ['DB_PASSWORD', 'DATABASE_URL'];
const COINBASE: readonly ServiceSecret[] = ['COINBASE_API_KEY_NAME', 'COINBASE_API_PRIVATE_KEY', 'COINBASE_API_KEY_FILE'];

/** The service names, as `node dist/main.js <service>` and the Kubernetes Deployments spell them. */
export const SERVICE_NAMES = [
  'market-data',
  'signal-generator',
  'signal-bridge',
  'trade-orchestrator',
  'risk-management',
  'trade-executor',
  'fill-tracker',
  'health-monitor',
] as const;

/** A service name; see {@link SERVICE_NAMES}. */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Every service, in pipeline order. */
export const SERVICES: Readonly<Record<ServiceName, ServiceDefinition>> = {
  'market-data': { name: 'market-data', portKey: 'marketData', stage: 'ingest', replicas: 1, summary: 'Coinbase candles into crypto_prices', secrets: DB },
  'signal-generator': { name: 'signal-generator', portKey: 'signalGenerator', stage: 'signal', replicas: 1, summary: '51 features, ONNX model, exit rules', secrets: DB },
  'signal-bridge': { name: 'signal-bridge', portKey: 'signalBridge', stage: 'bridge', replicas: 1, summary: 'signals into $100 trade recommendations', secrets: DB },
  'trade-orchestrator': { name: 'trade-orchestrator', portKey: 'tradeOrchestrator', stage: 'validation', replicas: 2, summary: 'Ollama validation plus the rule validator', secrets: DB },
  'risk-management': { name: 'risk-management', portKey: 'riskManagement', stage: 'risk', replicas: 2, summary: 'limits, sizing, signed single-use approvals', secrets: [...DB, 'RISK_APPROVAL_PRIVATE_KEY', 'RISK_APPROVAL_SECRET'] },
  'trade-executor': { name: 'trade-executor', portKey: 'tradeExecutor', stage: 'execution', replicas: 1, summary: 'paper (default) or Coinbase orders', secrets: [...DB, 'RISK_APPROVAL_PUBLIC_KEY', 'RISK_APPROVAL_SECRET', ...COINBASE] },
  'fill-tracker': { name: 'fill-tracker', portKey: 'fillTracker', stage: 'fills', replicas: 1, summary: 'order polling, fills, positions; the order reconciler (every open order followed until it ends); balance reconciliation', secrets: [...DB, 'RISK_APPROVAL_PUBLIC_KEY', 'RISK_APPROVAL_SECRET', ...COINBASE] },
  'health-monitor': { name: 'health-monitor', portKey: 'healthMonitor', stage: undefined, replicas: 1, summary: 'one health report for the whole deployment', secrets: DB },
};

/**
 * Finds a service by name (the first program argument, else `SERVICE`).
 * @throws TradepipeError `config_invalid` for an unknown or missing name.
 */
export function resolveService(argument: string | undefined, env: Readonly<Record<string, string | undefined>>): ServiceDefinition {
  const name = (argument ?? env.SERVICE ?? '').trim();
  if ((SERVICE_NAMES as readonly string[]).includes(name)) return SERVICES[name as ServiceName];
  throw new TradepipeError('config_invalid', `Unknown service "${name.slice(0, 64)}"; expected one of: ${SERVICE_NAMES.join(', ')}`);
}

/** The variable of each service's port, as core's `loadConfig` reads it. */
export const SERVICE_PORT_VARIABLES = SERVICE_PORT_ENV_VARS;
