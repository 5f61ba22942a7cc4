import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONFIG_ENV_VARS, DEFAULT_SERVICE_PORTS, loadConfig } from '@tradepipe/core';
import { CDP_KEY_VARIABLES } from './dependencies/coinbase-client.js';
import { readPackageOptions, PACKAGE_ENV, serviceEnvironmentVariables } from './package-options.js';
import { SERVICES, SERVICE_NAMES, SERVICE_PORT_VARIABLES } from './service-catalog.js';
import { readServiceSettings } from './service-settings.js';

const KUSTOMIZE_DIR = fileURLToPath(new URL('../../kubernetes', import.meta.url));
const SECRET_EXAMPLE = fileURLToPath(new URL('../../kubernetes/secret.example.env', import.meta.url));
const DEPLOYMENT_GUIDE = fileURLToPath(new URL('../../../docs/deployment.md', import.meta.url));
const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

type Manifest = { kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> };

function kustomize(): Manifest[] | undefined {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
  } catch {
    const message = 'kubectl is not installed: the Kubernetes manifest checks are SKIPPED';
    if (IN_CI) throw new Error(`${message} (and CI is set, so this fails)`);
    process.stderr.write(`\n!!! ${message}\n\n`);
    return undefined;
  }
  const text = execFileSync('kubectl', ['kustomize', KUSTOMIZE_DIR], { encoding: 'utf8' });
  return parseAllDocuments(text).map((document) => document.toJS() as Manifest);
}

const manifests = kustomize();
const find = (kind: string, name: string): Manifest => {
  const found = manifests?.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name}`);
  return found;
};
/** Variables any service reads: core's, the ports, the CDP key, every package's and the service settings. */
const KNOWN_VARIABLES = new Set<string>([
  ...Object.values(CONFIG_ENV_VARS),
  ...Object.values(SERVICE_PORT_VARIABLES),
  ...CDP_KEY_VARIABLES,
  ...Object.values(serviceEnvironmentVariables()).flat(),
  'SERVICE',
]);

describe.skipIf(manifests === undefined)('kubectl kustomize examples/kubernetes', () => {
  const configMap = (): Record<string, string> => find('ConfigMap', 'crypto-trading-config').data ?? {};

  it('has a Deployment and a Service per service, on the ports of DEFAULT_SERVICE_PORTS', () => {
    for (const name of SERVICE_NAMES) {
      const port = DEFAULT_SERVICE_PORTS[SERVICES[name].portKey];
      const container = find('Deployment', name).spec.template.spec.containers[0];
      expect(container.ports.map((entry: { containerPort: number }) => entry.containerPort), name).toEqual([port]);
      expect(container.args, name).toEqual([name]);
      expect(find('Service', name).spec.ports.map((entry: { port: number }) => entry.port), name).toEqual([port]);
      expect(configMap()[SERVICE_PORT_VARIABLES[SERVICES[name].portKey]], name).toBe(String(port));
    }
  });

  it('gives every service the ConfigMap and the Secret, probes, limits and a locked-down container', () => {
    const drainTimeoutMs = Number(configMap().DRAIN_TIMEOUT_MS);
    for (const name of SERVICE_NAMES) {
      const pod = find('Deployment', name).spec.template.spec;
      const container = pod.containers[0];
      expect(container.envFrom).toEqual([{ configMapRef: { name: 'crypto-trading-config' } }, { secretRef: { name: 'crypto-trading-secrets' } }]);
      expect(container.readinessProbe.httpGet.path).toBe('/ready');
      expect(container.livenessProbe.httpGet.path).toBe(name === 'health-monitor' ? '/live' : '/health');
      expect(container.resources.requests.cpu).toBeDefined();
      expect(container.resources.limits.memory).toBeDefined();
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainTimeoutMs + 10_000);
      expect(find('Deployment', name).spec.replicas).toBe(SERVICES[name].replicas);
    }
    expect(find('Deployment', 'trade-executor').spec.replicas).toBe(1);
    expect(find('Deployment', 'trade-orchestrator').spec.replicas).toBe(2);
    expect(find('Deployment', 'risk-management').spec.replicas).toBe(2);
  });

  it('runs PostgreSQL as a StatefulSet with a volume claim and Ollama on 11434 with its own claim', () => {
    const postgres = find('StatefulSet', 'postgres');
    expect(postgres.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBeDefined();
    expect(find('Service', 'postgres').spec.ports[0].port).toBe(5432);
    expect(find('Service', 'ollama').spec.ports[0].port).toBe(11434);
    expect(find('Deployment', 'ollama').spec.template.spec.volumes.some((volume: any) => volume.persistentVolumeClaim?.claimName === 'ollama-models')).toBe(true);
    expect(find('PersistentVolumeClaim', 'ollama-models')).toBeDefined();
    expect(manifests!.every((manifest) => manifest.kind === 'Namespace' || (manifest.metadata as { namespace?: string }).namespace === 'crypto-trading')).toBe(true);
  });

  it('keeps secrets out of the ConfigMap and live trading off', () => {
    const data = configMap();
    for (const [key, value] of Object.entries(data)) {
      expect(key, key).not.toMatch(/PASSWORD|SECRET|PRIVATE|TOKEN|CDP|API_KEY|CONFIRM/);
      expect(value, key).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY|:\/\/[^/:@\s]+:[^@\s]+@/);
    }
    expect(data.TRADING_MODE).toBe('paper');
    expect(data.LIVE_TRADING_CONFIRM).toBeUndefined();
    expect(data.OLLAMA_HOST).toBe('http://ollama:11434');
    expect(manifests!.some((manifest) => manifest.kind === 'Secret')).toBe(false);
  });

  it('holds only variables the services read, and they all parse', () => {
    const data = configMap();
    expect(Object.keys(data).filter((key) => !KNOWN_VARIABLES.has(key))).toEqual([]);
    const env = { ...data, DB_PASSWORD: 'placeholder', RISK_APPROVAL_SECRET: 'x'.repeat(32) };
    expect(loadConfig(env)).toMatchObject({ mode: 'paper', granularity: 'ONE_DAY', products: ['BTC-USD'] });
    expect(readServiceSettings(env).drainTimeoutMs).toBe(20_000);
    for (const name of Object.keys(PACKAGE_ENV) as (keyof typeof PACKAGE_ENV)[]) {
      expect(() => readPackageOptions(name, env, name === 'ollama' ? { model: 'llama3.2' } : name === 'riskLimits' ? { maxOrderQuote: 1, maxPositionQuote: 1, maxTotalExposureQuote: 1, maxPortfolioHeat: 1, maxDailyLossFraction: 1, maxOrdersPerHour: 1 } : {}), name).not.toThrow();
    }
  });
});

describe('secret.example.env and docs/deployment.md', () => {
  it('the Secret template holds placeholders only', () => {
    const entries = readFileSync(SECRET_EXAMPLE, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => line.split('=', 2) as [string, string]);
    expect(entries.map(([key]) => key).sort()).toEqual(['COINBASE_API_KEY_NAME', 'COINBASE_API_PRIVATE_KEY', 'DB_PASSWORD', 'RISK_APPROVAL_SECRET']);
    for (const [key, value] of entries) expect(value === '' || value.startsWith('change-me'), key).toBe(true);
  });

  it('the deployment guide names every variable the services read', () => {
    const guide = readFileSync(DEPLOYMENT_GUIDE, 'utf8');
    expect([...KNOWN_VARIABLES].filter((variable) => !guide.includes(`\`${variable}\``))).toEqual([]);
  });
});
