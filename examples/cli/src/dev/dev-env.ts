// The environment every service of `tradepipe dev` gets: built from nothing (the user's TRADING_MODE, keys and
// DATABASE_URL never leak in), the fakes' URLs, the dev clock, and each processing budget scaled to wall time.
import { DEFAULT_SERVICE_PORTS, SERVICE_PORT_ENV_VARS, TradepipeError } from '@tradepipe/core';
import { DEV_CLOCK_VARIABLES, SERVICES, SERVICE_NAMES, isLoopbackUrl, type ScaledClock, type ServiceName } from '@tradepipe/example-services';

/** The pipeline id of the dev stack's records. */
export const DEV_PIPELINE_ID = 'dev';

/** Variables passed through from the user's environment: the process basics, nothing that configures trading. */
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SYSTEMROOT'] as const;

/**
 * Durations the stages and the store measure on the dev clock that are processing budgets, not market rules:
 * each is given in wall-clock milliseconds and multiplied by the rate, so a lease still lasts 20 real seconds
 * while a simulated day passes in five. Market rules (cooldowns, candle ages, orders per hour, holding times,
 * signal age) stay in simulated time: they are what the replay is about.
 */
export const WALL_CLOCK_BUDGETS_MS: Readonly<Record<string, number>> = {
  PIPELINE_LEASE_MS: 20_000,
  PIPELINE_BASE_BACKOFF_MS: 500,
  PIPELINE_MAX_BACKOFF_MS: 10_000,
  PIPELINE_ORDER_POLL_INTERVAL_MS: 300,
  POLICY_TTL_MS: 60_000,
  EXITS_RECOMMENDATION_TTL_MS: 60_000,
  APPROVAL_TTL_MS: 60_000,
  PRODUCT_REFRESH_MS: 60_000,
  RECONCILE_INTERVAL_MS: 10_000,
  EXECUTOR_POLL_INTERVAL_MS: 200,
  EXECUTOR_FOLLOW_TIMEOUT_MS: 20_000,
  EXECUTOR_UNKNOWN_SEARCH_WINDOW_MS: 600_000,
  COINBASE_MAX_CLOCK_SKEW_MS: 30_000,
  COINBASE_RETRY_BASE_DELAY_MS: 250,
};

/** Settings that are wall-clock already (node timers, HTTP deadlines): not scaled. */
const WALL_CLOCK_SETTINGS: Readonly<Record<string, string>> = {
  PIPELINE_POLL_INTERVAL_MS: '250',
  DRAIN_TIMEOUT_MS: '5000',
  HEALTH_CHECK_TIMEOUT_MS: '3000',
};

/** The dev stack's ports: the seed's (8022–8030) moved by `portBase − 8022`. */
export function devPorts(portBase: number): Record<ServiceName, number> {
  return Object.fromEntries(SERVICE_NAMES.map((name) => [name, portBase + DEFAULT_SERVICE_PORTS[SERVICES[name].portKey] - DEFAULT_SERVICE_PORTS.signalBridge])) as Record<ServiceName, number>;
}

/** What the environment is built from. */
export interface DevEnvInput {
  /** The dev clock every service derives from the `DEV_CLOCK_*` variables. */
  readonly clock: ScaledClock;
  /** Each service's port. */
  readonly ports: Readonly<Record<ServiceName, number>>;
  /** The fake Coinbase's base URL (must be a loopback URL for live mode). */
  readonly coinbaseUrl: string;
  /** The fake Ollama's base URL. */
  readonly ollamaUrl: string;
  /** The HMAC key risk signs approvals with and the executors verify (new per run). */
  readonly approvalSecret: string;
  /** PostgreSQL: the URL and the dev stack's own schema; PGlite (in process) when absent. */
  readonly database?: { readonly url: string; readonly schema: string };
  /** Live mode against the fake exchange: its test key. */
  readonly liveKey?: { readonly name: string; readonly privateKeyPem: string };
  /** The command's environment: only `PATH`, `HOME`, `TMPDIR`, `LANG` and `SYSTEMROOT` are taken from it. */
  readonly inherited: Readonly<Record<string, string | undefined>>;
}

function liveVariables(input: DevEnvInput): Record<string, string> {
  if (input.liveKey === undefined) return { TRADING_MODE: 'paper' };
  // The opt-in is given for the fake exchange only: never with a URL that leaves this machine.
  if (!isLoopbackUrl(input.coinbaseUrl)) throw new TradepipeError('config_invalid', 'tradepipe dev trades live only against its own local fake exchange');
  return {
    TRADING_MODE: 'live',
    LIVE_TRADING_CONFIRM: 'I_ACCEPT_REAL_MONEY_RISK',
    COINBASE_API_KEY_NAME: input.liveKey.name,
    COINBASE_API_PRIVATE_KEY: input.liveKey.privateKeyPem,
  };
}

/** The environment of every service of the dev stack. @throws TradepipeError `config_invalid` for live mode against anything but a local fake */
export function devServiceEnv(input: DevEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) if (input.inherited[name] !== undefined) env[name] = input.inherited[name]!;
  for (const name of SERVICE_NAMES) env[SERVICE_PORT_ENV_VARS[SERVICES[name].portKey]] = String(input.ports[name]);
  for (const [name, wallMs] of Object.entries(WALL_CLOCK_BUDGETS_MS)) env[name] = String(Math.round(wallMs * Math.max(1, input.clock.rate)));
  return {
    ...env,
    ...WALL_CLOCK_SETTINGS,
    [DEV_CLOCK_VARIABLES.startMs]: String(input.clock.startMs),
    [DEV_CLOCK_VARIABLES.epochMs]: String(input.clock.epochMs),
    [DEV_CLOCK_VARIABLES.rate]: String(input.clock.rate),
    PIPELINE_ID: DEV_PIPELINE_ID,
    PRODUCTS: 'BTC-USD',
    GRANULARITY: 'ONE_DAY',
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    COINBASE_BASE_URL: input.coinbaseUrl,
    OLLAMA_HOST: input.ollamaUrl,
    OLLAMA_MODEL: 'llama3.2',
    RISK_APPROVAL_SECRET: input.approvalSecret,
    // As `tradepipe run` and `backtest` (the rule validator's own default, 0.6, is above most of the model's signals).
    RULES_MIN_CONFIDENCE: '0.4',
    HEALTH_TARGETS: SERVICE_NAMES.filter((name) => name !== 'health-monitor')
      .map((name) => `${name}=http://127.0.0.1:${input.ports[name]}`)
      .join(','),
    ...(input.database === undefined ? {} : { DATABASE_URL: input.database.url, STORE_SCHEMA: input.database.schema, STORE_POOL_SIZE: '3' }),
    ...liveVariables(input),
  };
}

