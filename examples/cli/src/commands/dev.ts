import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { systemClock } from '@tradepipe/core';
import { MAX_DEV_CLOCK_RATE } from '@tradepipe/example-services';
import { dateOption, numberOption, stringOption } from '../arguments.js';
import { UsageError } from '../cli-errors.js';
import type { Command } from '../command.js';
import { newDevSchemaName } from '../dev/dev-database.js';
import { runDevStack, type DevSettings } from '../dev/dev-stack.js';

/** Where the replay starts by default: a few days before a stretch the default model trades (November 2024). */
export const DEV_DEFAULT_FROM = '2024-11-08';
/** Default speed: a simulated day every five wall-clock seconds. */
export const DEV_DEFAULT_RATE = 17_280;

function readSettings(values: Readonly<Record<string, string | boolean | undefined>>, cwd: string, nowMs: number): DevSettings {
  const url = stringOption(values, 'database-url');
  const schema = stringOption(values, 'schema');
  if (url === undefined && (schema !== undefined || values['keep-schema'] === true)) throw new UsageError('--schema and --keep-schema go with --database-url', 'dev');
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) throw new UsageError("--database-url must start with 'postgres://'", 'dev');
  const logs = stringOption(values, 'logs');
  return {
    fromMs: dateOption(values, 'from') ?? Date.parse(`${DEV_DEFAULT_FROM}T00:00:00Z`),
    rate: numberOption(values, 'rate', { min: 1, max: MAX_DEV_CLOCK_RATE / 10 }) ?? DEV_DEFAULT_RATE,
    portBase: numberOption(values, 'port-base', { min: 1024, max: 65_535 - 8, integer: true }) ?? 8022,
    ...(url === undefined ? {} : { database: { url, schema: schema ?? newDevSchemaName(nowMs), keep: values['keep-schema'] === true } }),
    liveAgainstFake: values['live-against-fake'] === true,
    logsDirectory: logs === undefined ? join(tmpdir(), `tradepipe-dev-${new Date(nowMs).toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${process.pid}`) : resolve(cwd, logs),
  };
}

/** `tradepipe dev`: the whole deployment locally, trading on a fast replay of real candles. */
export const devCommand: Command = {
  name: 'dev',
  summary: 'every service locally against fake Coinbase and Ollama, replaying real candles fast; a status page',
  description: [
    'Starts every service of the design (ports 8022–8030) with the fake Coinbase and the fake Ollama on 127.0.0.1,',
    'replaying the bundled BTC-USD daily candles on a fast clock shared by the stages, the store and the fake',
    'exchange: within a minute signals become validated, risk-checked, executed paper orders. Prints the status',
    'page URL first, then every signal, recommendation outcome and order. On PGlite (default) the services run in',
    'this process; with --database-url, as separate processes over a new schema of that PostgreSQL server (dropped',
    'at the end unless --keep-schema). Your environment configures nothing here: TRADING_MODE, keys and',
    'DATABASE_URL are ignored. Ctrl-C or SIGTERM drains and stops everything (exit 0). With --json, each event is',
    'one JSON object on its own line.',
  ].join('\n'),
  options: {
    from: { type: 'string', value: '<date>', description: `where the replay starts (default ${DEV_DEFAULT_FROM}; the store starts with the history before it)` },
    rate: { type: 'string', value: '<n>', description: `simulated ms per wall-clock ms (default ${DEV_DEFAULT_RATE}: a day every 5 s; 86400: a day a second)` },
    'port-base': { type: 'string', value: '<port>', description: 'first port: the services listen on it to +8 as on 8022–8030 (default 8022)' },
    'database-url': { type: 'string', value: '<url>', description: 'run the services as processes over this PostgreSQL server (default: PGlite in this process)' },
    schema: { type: 'string', value: '<name>', description: 'with --database-url: a new schema for the run (default tradepipe_dev_<time>_<random>)' },
    'keep-schema': { type: 'boolean', description: 'with --database-url: keep the schema after the run' },
    'live-against-fake': { type: 'boolean', description: 'run the LIVE Coinbase executor against the fake exchange (a test key; never a real URL)' },
    logs: { type: 'string', value: '<dir>', description: "the services' JSON logs, one file each (default a new directory under the system's temp directory)" },
  },
  examples: ['tradepipe dev', 'tradepipe dev --rate 86400 --from 2025-05-01', 'tradepipe dev --database-url postgres://postgres@127.0.0.1:5432/postgres', 'tradepipe dev --live-against-fake --port-base 18022'],
  run: ({ values, io, flags }) => runDevStack(readSettings(values, io.cwd, systemClock.nowMs()), io, flags),
};
