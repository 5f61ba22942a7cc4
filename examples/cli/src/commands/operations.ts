import pg from 'pg';
import { checkStoreHealth, type HealthReport, type RiskState } from '@tradepipe/core';
import { aggregateHealth, healthTargets, runOperatorCommand, runServiceProcess, SERVICE_NAMES, SERVICES } from '@tradepipe/example-services';
import { loadConfig } from '@tradepipe/core';
import { migrate } from '@tradepipe/storage-pg';
import { stringOption } from '../arguments.js';
import { EXIT_CODES, UsageError } from '../cli-errors.js';
import type { Command, CommandInput } from '../command.js';
import { SUPERVISED_VARIABLE } from '../dev/dev-services.js';
import { STORE_OPTIONS, openSharedStore, storeConnectionOf, storeSchemaOf } from '../stores.js';

/**
 * A service started by `tradepipe dev` drains itself when its stdin closes: the command that started it is gone
 * (killed, or exited), so no service outlives it.
 */
function stopWhenSupervisorLeaves(): void {
  process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.on('error', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.resume();
}

/** `tradepipe service <name>`: the deployment's services (bundled from examples/services). */
export const serviceCommand: Command = {
  name: 'service',
  summary: 'run one service of the deployment (ports 8022–8030) over the shared PostgreSQL store',
  arguments: '<name>',
  description: [
    'Starts one pipeline service, configured from the environment as in docs/deployment.md (paper by default; live',
    'trading needs its explicit opt-in), with /health, /ready, /live and /metrics on its port; SIGTERM drains it.',
    'Services:',
    ...SERVICE_NAMES.map((name) => `  ${name.padEnd(20)} ${SERVICES[name].summary}`),
  ].join('\n'),
  options: {},
  maxPositionals: 1,
  examples: ['DATABASE_URL=postgres://… tradepipe service signal-generator', 'SERVICE=risk-management tradepipe service'],
  async run({ positionals, io }) {
    const name = positionals[0] ?? io.env.SERVICE;
    if (name === undefined || !(SERVICE_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`${name === undefined ? 'a service name is required' : `unknown service '${name}'`}; one of: ${SERVICE_NAMES.join(', ')}`, 'service');
    }
    if (io.env[SUPERVISED_VARIABLE] === '1') stopWhenSupervisorLeaves();
    await runServiceProcess([name]);
    return EXIT_CODES.ok;
  },
};

/** `tradepipe migrate`. */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: "create or upgrade the shared store's tables",
  description: 'Applies the storage migrations to the PostgreSQL schema (safe to run while services start: an advisory lock serialises them).',
  options: STORE_OPTIONS,
  examples: ['DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres tradepipe migrate', 'tradepipe migrate --database-url postgres://… --schema paper'],
  async run({ values, io, flags }) {
    const schema = storeSchemaOf(values, io.env);
    const pool = new pg.Pool({ ...storeConnectionOf(values, io.env), max: 1, connectionTimeoutMillis: 10_000 } as pg.PoolConfig);
    try {
      const result = await migrate(pool, { schema });
      io.stdout.write(flags.json ? `${JSON.stringify({ schema, ...result })}\n` : `schema ${schema} at version ${result.version}; applied ${result.applied.length === 0 ? 'nothing (already current)' : result.applied.join(', ')}\n`);
      return EXIT_CODES.ok;
    } finally {
      await pool.end();
    }
  },
};

function printHealth(report: HealthReport, schema: string, input: CommandInput): void {
  if (input.flags.json) {
    input.io.stdout.write(`${JSON.stringify({ ...report, schema })}\n`);
    return;
  }
  const lines = [`health ${report.status} (store schema ${schema})`, ...report.checks.map((check) => `  ${check.status.padEnd(9)} ${check.name}${check.message === undefined ? '' : `: ${check.message}`}`)];
  input.io.stdout.write(`${lines.join('\n')}\n`);
}

/** `tradepipe health`. */
export const healthCommand: Command = {
  name: 'health',
  summary: "one health report: the shared store's checks and every service's /health",
  description: [
    'Reads the shared store (dead letters, orders in UNKNOWN state or stuck, the kill switch, market data freshness)',
    'and asks each service for /health (HEALTH_TARGETS or --targets name=url,…; --no-services for the store only).',
    'Exit code 0 when ok, 3 when degraded or failing.',
  ].join('\n'),
  options: {
    ...STORE_OPTIONS,
    targets: { type: 'string', value: '<name=url,…>', description: 'services to poll (default HEALTH_TARGETS, else every service at its Kubernetes name)' },
    'no-services': { type: 'boolean', description: 'check the store only' },
  },
  examples: ['tradepipe health --no-services', 'tradepipe health --targets risk-management=http://127.0.0.1:8027 --json'],
  async run(input) {
    const { values, io } = input;
    const schema = storeSchemaOf(values, io.env);
    const store = await openSharedStore(values, io, { create: false });
    try {
      const nowMs = Date.now();
      const own = await checkStoreHealth({ service: 'tradepipe-cli', store, nowMs });
      const targets = values['no-services'] === true ? [] : healthTargets(loadConfig(io.env, { requireApprovalSecret: false }), stringOption(values, 'targets') ?? io.env.HEALTH_TARGETS);
      const report = await aggregateHealth({ own, targets, timeoutMs: 5_000, signal: io.signal, nowMs });
      printHealth(report, schema, input);
      return report.status === 'ok' ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
    } finally {
      await store.close();
    }
  },
};

function killSwitch(action: 'status' | 'engage' | 'release', summary: string, options: Command['options']): Command {
  return {
    name: `kill-switch ${action}`,
    summary,
    description: [
      `${summary}. The kill switch is read by every risk replica: freeze refuses new exposure; flatten also sells what is held through the exit rules.`,
      'It lives in the store: the schema is --schema, else STORE_SCHEMA (as the services read it), else tradepipe; the output names it.',
    ].join('\n'),
    options: { ...STORE_OPTIONS, ...options },
    examples:
      action === 'engage'
        ? ['tradepipe kill-switch engage --mode freeze --reason "exchange incident"', 'STORE_SCHEMA=live tradepipe kill-switch engage --mode freeze --reason "exchange incident"']
        : [`tradepipe kill-switch ${action}${action === 'release' ? ' --reason "incident over"' : ''} --schema live`],
    async run({ values, io, flags }) {
      const args = ['kill-switch', action, ...Object.keys(options).flatMap((name) => (stringOption(values, name) === undefined ? [] : [`--${name}`, stringOption(values, name)!]))];
      const schema = storeSchemaOf(values, io.env);
      const store = await openSharedStore(values, io, { create: false });
      try {
        const state = JSON.parse(await runOperatorCommand(args, store)) as RiskState;
        const { engaged, mode } = state.killSwitch;
        io.stdout.write(flags.json ? `${JSON.stringify({ schema, ...state })}\n` : `kill switch in schema ${schema}: ${engaged ? `ENGAGED (${mode})` : 'released'}\n${JSON.stringify(state, null, 2)}\n`);
        return EXIT_CODES.ok;
      } finally {
        await store.close();
      }
    },
  };
}

/** `tradepipe kill-switch status|engage|release`. */
export const killSwitchCommands: readonly Command[] = [
  killSwitch('status', 'print the kill switch state', {}),
  killSwitch('engage', 'engage the kill switch', {
    mode: { type: 'string', value: 'freeze|flatten', description: 'freeze: no new exposure; flatten: also sell what is held' },
    reason: { type: 'string', value: '<text>', description: 'why (kept with the state; required)' },
  }),
  killSwitch('release', 'release the kill switch', { reason: { type: 'string', value: '<text>', description: 'why (required)' } }),
];
