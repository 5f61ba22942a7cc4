import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONFIG_ENV_VARS, DEFAULT_SERVICE_PORTS, loadConfig } from '@tradepipe/core';
import { CDP_KEY_VARIABLES } from './dependencies/coinbase-client.js';
import { storeSchemaFromEnv } from './open-store.js';
import { readPackageOptions, PACKAGE_ENV, serviceEnvironmentVariables } from './package-options.js';
import { OPTIONAL_SECRETS, SERVICES, SERVICE_NAMES, SERVICE_PORT_VARIABLES } from './service-catalog.js';
import { readServiceSettings } from './service-settings.js';
import { ManifestSchemaError, validateManifestsStrictly, type KubernetesObject } from './kubernetes-schema.js';

const OVERLAYS_DIR = fileURLToPath(new URL('../../kubernetes/overlays', import.meta.url));
const SECRET_EXAMPLE = fileURLToPath(new URL('../../kubernetes/secret.example.env', import.meta.url));
const DEPLOYMENT_GUIDE = fileURLToPath(new URL('../../../docs/deployment.md', import.meta.url));
const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

type Manifest = { kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> };

function kustomize(overlay: 'paper' | 'live'): Manifest[] | undefined {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
  } catch {
    const message = 'kubectl is not installed: the Kubernetes manifest checks are SKIPPED';
    if (IN_CI) throw new Error(`${message} (and CI is set, so this fails)`);
    process.stderr.write(`\n!!! ${message}\n\n`);
    return undefined;
  }
  const text = execFileSync('kubectl', ['kustomize', `${OVERLAYS_DIR}/${overlay}`], { encoding: 'utf8' });
  return parseAllDocuments(text).map((document) => document.toJS() as Manifest);
}

const manifests = kustomize('paper');
const liveManifests = manifests === undefined ? undefined : kustomize('live');
const find = (kind: string, name: string, from: readonly Manifest[] | undefined = manifests): Manifest => {
  const found = from?.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
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

describe.skipIf(manifests === undefined)('kubectl kustomize examples/kubernetes/overlays/paper and live', () => {
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

  it('gives every service the ConfigMap and only the keys of the Secret it reads, probes, limits and a locked-down container', () => {
    const drainTimeoutMs = Number(configMap().DRAIN_TIMEOUT_MS);
    for (const name of SERVICE_NAMES) {
      const pod = find('Deployment', name).spec.template.spec;
      const container = pod.containers[0];
      // No secretRef: a pod given the whole Secret could sign approvals (any amount) and hold the trading key.
      expect(container.envFrom).toEqual([{ configMapRef: { name: 'crypto-trading-config' } }]);
      const fromSecret = container.env.filter((entry: any) => entry.valueFrom?.secretKeyRef !== undefined);
      expect(fromSecret.map((entry: any) => entry.valueFrom.secretKeyRef.key), name).toEqual([...SERVICES[name].secrets]);
      for (const entry of fromSecret) {
        expect(entry.name, name).toBe(entry.valueFrom.secretKeyRef.key);
        expect(entry.valueFrom.secretKeyRef.name, name).toBe('crypto-trading-secrets');
        // Optional as envFrom made them (the approval material in one of two forms: the service refuses to start without either).
        expect(entry.valueFrom.secretKeyRef.optional === true, `${name} ${entry.name}`).toBe(OPTIONAL_SECRETS.has(entry.name));
      }
      expect(container.readinessProbe.httpGet.path).toBe('/ready');
      // Liveness restarts a process whose workers stopped, never one reporting an UNKNOWN order or a store outage.
      expect(container.livenessProbe.httpGet.path).toBe('/live');
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

  it('gives the approval secret only to the services that sign or verify approvals, and the Coinbase key only to those that place or follow orders', () => {
    const holding = (key: string): string[] => SERVICE_NAMES.filter((name) => find('Deployment', name).spec.template.spec.containers[0].env.some((entry: any) => entry.valueFrom?.secretKeyRef?.key === key));
    expect(holding('RISK_APPROVAL_SECRET')).toEqual(['risk-management', 'trade-executor', 'fill-tracker']);
    // The Ed25519 private key signs: risk-management alone holds it; the verifiers get the public key only.
    expect(holding('RISK_APPROVAL_PRIVATE_KEY')).toEqual(['risk-management']);
    expect(holding('RISK_APPROVAL_PUBLIC_KEY')).toEqual(['trade-executor', 'fill-tracker']);
    // market-data reads public endpoints and market channels: a pod that only ingests candles cannot trade.
    for (const key of ['COINBASE_API_KEY_NAME', 'COINBASE_API_PRIVATE_KEY', 'COINBASE_API_KEY_FILE']) expect(holding(key)).toEqual(['trade-executor', 'fill-tracker']);
    expect(holding('DB_PASSWORD')).toEqual([...SERVICE_NAMES]);
    expect(holding('DATABASE_URL')).toEqual([...SERVICE_NAMES]);
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

/** Problems of port consistency: each service's container, Service and ConfigMap port equal the configured one. */
function portProblems(rendered: readonly Manifest[]): string[] {
  const problems: string[] = [];
  const data = find('ConfigMap', 'crypto-trading-config', rendered).data ?? {};
  for (const name of SERVICE_NAMES) {
    const port = DEFAULT_SERVICE_PORTS[SERVICES[name].portKey];
    const container = find('Deployment', name, rendered).spec.template.spec.containers[0];
    const containerPorts = container.ports.map((entry: { containerPort: number }) => entry.containerPort);
    const servicePorts = find('Service', name, rendered).spec.ports.map((entry: { port: number }) => entry.port);
    if (containerPorts.length !== 1 || containerPorts[0] !== port) problems.push(`${name}: container port ${containerPorts.join(',')} is not ${port}`);
    if (servicePorts.length !== 1 || servicePorts[0] !== port) problems.push(`${name}: Service port ${servicePorts.join(',')} is not ${port}`);
    if (data[SERVICE_PORT_VARIABLES[SERVICES[name].portKey]] !== String(port)) problems.push(`${name}: ConfigMap port is not ${port}`);
  }
  return problems;
}

/** The pods (by app name) a NetworkPolicy selects among the rendered workloads. */
function selectedPods(policy: Manifest, rendered: readonly Manifest[]): string[] {
  const selector = policy.spec.podSelector as { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  const workloads = rendered.filter((manifest) => ['Deployment', 'StatefulSet', 'Job'].includes(manifest.kind));
  return workloads
    .filter((workload) => {
      const labels: Record<string, string> = workload.spec.template.metadata.labels ?? {};
      const labelsMatch = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
      const expressionsMatch = (selector.matchExpressions ?? []).every((expression) =>
        expression.operator === 'Exists' ? labels[expression.key] !== undefined : expression.operator === 'In' ? (expression.values ?? []).includes(labels[expression.key] ?? '') : false,
      );
      return labelsMatch && expressionsMatch;
    })
    .map((workload) => workload.metadata.name)
    .sort();
}

describe.skipIf(manifests === undefined)('manifests against the Kubernetes API schemas (kubernetes-models), unknown fields refused', () => {
  it('both overlays validate strictly', () => {
    expect(() => validateManifestsStrictly(manifests as unknown as KubernetesObject[])).not.toThrow();
    expect(() => validateManifestsStrictly(liveManifests as unknown as KubernetesObject[])).not.toThrow();
  });

  it('refuses a misspelt field, a port of the wrong type, and a port that is not the service\'s', () => {
    const misspelt = structuredClone(manifests!);
    find('Deployment', 'trade-executor', misspelt).spec.template.spec.containers[0].readinessProbe.periodSecond = 10;
    expect(() => validateManifestsStrictly(misspelt as unknown as KubernetesObject[])).toThrow(/trade-executor\.spec\.template\.spec\.containers\[0\]\.readinessProbe\.periodSecond: unknown field/);
    const wrongType = structuredClone(manifests!);
    find('Service', 'risk-management', wrongType).spec.ports[0].port = '8027';
    expect(() => validateManifestsStrictly(wrongType as unknown as KubernetesObject[])).toThrow(ManifestSchemaError);
    const wrongPort = structuredClone(manifests!);
    find('Deployment', 'signal-bridge', wrongPort).spec.template.spec.containers[0].ports[0].containerPort = 8021;
    expect(portProblems(manifests!)).toEqual([]);
    expect(portProblems(wrongPort)).toEqual(['signal-bridge: container port 8021 is not 8022']);
  });

  it('only the live overlay turns live trading on, with the confirmation', () => {
    const paper = find('ConfigMap', 'crypto-trading-config').data ?? {};
    const live = find('ConfigMap', 'crypto-trading-config', liveManifests).data ?? {};
    expect(paper.TRADING_MODE).toBe('paper');
    expect(paper.LIVE_TRADING_CONFIRM).toBeUndefined();
    expect(live.TRADING_MODE).toBe('live');
    expect(live.LIVE_TRADING_CONFIRM).toBe('I_ACCEPT_REAL_MONEY_RISK');
    const env = { ...live, DB_PASSWORD: 'placeholder', RISK_APPROVAL_SECRET: 'x'.repeat(32) };
    expect(loadConfig(env)).toMatchObject({ mode: 'live' });
    expect(() => loadConfig({ ...env, LIVE_TRADING_CONFIRM: undefined })).toThrow();
  });

  it('the live overlay changes only the two live switches: re-applied, it never moves a running deployment to another store', () => {
    const paper = find('ConfigMap', 'crypto-trading-config').data ?? {};
    const live = find('ConfigMap', 'crypto-trading-config', liveManifests).data ?? {};
    // A new STORE_SCHEMA for live money is the operator's step (the executor refuses a store holding paper orders).
    const changed = Object.keys({ ...paper, ...live }).filter((key) => paper[key] !== live[key]).sort();
    expect(changed).toEqual(['LIVE_TRADING_CONFIRM', 'TRADING_MODE']);
    expect(storeSchemaFromEnv(live)).toBe(storeSchemaFromEnv(paper));
  });

  it('denies all traffic by default and opens only what each pod needs', () => {
    const policies = manifests!.filter((manifest) => manifest.kind === 'NetworkPolicy');
    const policy = (name: string): Manifest => find('NetworkPolicy', name);
    expect(policy('default-deny-all').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(policy('allow-dns').spec.podSelector).toEqual({});
    const internet = policy('internet-egress');
    // The two services that build the executor (trade-executor, fill-tracker) call Coinbase in live mode.
    expect(selectedPods(internet, manifests!)).toEqual(['fill-tracker', 'health-monitor', 'market-data', 'ollama-pull-model', 'trade-executor']);
    expect(selectedPods(internet, liveManifests!)).toEqual(selectedPods(internet, manifests!));
    expect(internet.spec.egress[0].to[0].ipBlock.except).toEqual(expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']));
    expect(internet.spec.egress[0].ports).toEqual([{ protocol: 'TCP', port: 443 }]);
    // Egress to the internet appears in that one policy only.
    expect(policies.filter((entry) => JSON.stringify(entry.spec.egress ?? []).includes('ipBlock')).map((entry) => entry.metadata.name)).toEqual(['internet-egress']);
    expect(selectedPods(policy('postgres-from-services'), manifests!)).toEqual(['postgres']);
    const postgresClients = { spec: { podSelector: policy('postgres-from-services').spec.ingress[0].from[0].podSelector } } as Manifest;
    expect(selectedPods(postgresClients, manifests!)).toEqual([...SERVICE_NAMES].sort());
    const ollamaClients = { spec: { podSelector: policy('ollama-from-validators').spec.ingress[0].from[0].podSelector } } as Manifest;
    expect(selectedPods(ollamaClients, manifests!)).toEqual(['health-monitor', 'trade-orchestrator']);
    expect(selectedPods(policy('ollama-from-validators'), manifests!)).toEqual(['ollama']);
  });

  it('gives every service a PodDisruptionBudget and Prometheus scrape annotations; PostgreSQL is never evicted voluntarily', () => {
    for (const name of SERVICE_NAMES) {
      const budget = find('PodDisruptionBudget', name);
      expect(budget.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': name });
      if (SERVICES[name].replicas > 1) expect(budget.spec.minAvailable, name).toBe(1);
      const annotations = find('Deployment', name).spec.template.metadata.annotations;
      expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(DEFAULT_SERVICE_PORTS[SERVICES[name].portKey]), 'prometheus.io/path': '/metrics' });
    }
    expect(find('PodDisruptionBudget', 'postgres').spec.maxUnavailable).toBe(0);
  });
});

describe('secret.example.env and docs/deployment.md', () => {
  it('the Secret template holds placeholders only', () => {
    const entries = readFileSync(SECRET_EXAMPLE, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => line.split('=', 2) as [string, string]);
    expect(entries.map(([key]) => key).sort()).toEqual(['COINBASE_API_KEY_NAME', 'COINBASE_API_PRIVATE_KEY', 'DB_PASSWORD', 'RISK_APPROVAL_PRIVATE_KEY', 'RISK_APPROVAL_PUBLIC_KEY', 'RISK_APPROVAL_SECRET']);
    for (const [key, value] of entries) expect(value === '' || value.startsWith('change-me'), key).toBe(true);
  });

  it('the deployment guide says liveness probes `/live`, as every manifest does, never `/health`', () => {
    const guide = readFileSync(DEPLOYMENT_GUIDE, 'utf8').replaceAll(/\s+/g, ' ');
    expect(guide.match(/liveness(?: probe)? (?:on|watches|probes) `\/health`/gi) ?? []).toEqual([]);
    expect(guide.match(/liveness probe watches `\/live`/g)).toHaveLength(1);
  });

  it('the deployment guide names every variable the services read', () => {
    const guide = readFileSync(DEPLOYMENT_GUIDE, 'utf8');
    expect([...KNOWN_VARIABLES].filter((variable) => !guide.includes(`\`${variable}\``))).toEqual([]);
  });
});
