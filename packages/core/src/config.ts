import { z } from 'zod';
import { DecimalStringSchema, decimal, isPositiveDecimal } from './decimal.js';
import { TradepipeError } from './errors.js';
import { redactFields } from './logger.js';
import { parseWith } from './parse.js';
import { ProductIdSchema } from './records/market.js';
import { GranularitySchema } from './time.js';

/** The value `LIVE_TRADING_CONFIRM` must hold, besides `TRADING_MODE=live`, before anything trades real money. */
export const LIVE_TRADING_CONFIRMATION = 'I_ACCEPT_REAL_MONEY_RISK';

/** Default ports of the deployed services, as in the seed (8022–8030). */
export const DEFAULT_SERVICE_PORTS = {
  signalBridge: 8022,
  tradeOrchestrator: 8023,
  tradeExecutor: 8024,
  signalGenerator: 8025,
  marketData: 8026,
  riskManagement: 8027,
  fillTracker: 8029,
  healthMonitor: 8030,
} as const;

/** A port: a whole number 1 … 65535, from a number or from text of decimal digits only (`0x10` and ` 1e3` are refused, not read as 16 and 1000). */
const port = z.preprocess(
  (value) => (typeof value === 'string' && /^\d{1,5}$/.test(value.trim()) ? Number(value.trim()) : value),
  z.number({ error: 'expected a port, a whole number from 1 to 65535' }).int().min(1).max(65_535),
);
/** An http(s) URL (an Ollama host): `file:` or `javascript:` is refused. */
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });
const optionalText = z.string().min(1).optional();

const TRUE_WORDS: readonly string[] = ['true', '1', 'yes'];
const BOOLEAN_WORDS: readonly string[] = [...TRUE_WORDS, 'false', '0', 'no'];

/**
 * zod schema of a yes/no setting written as text, as in an environment variable: `true`/`false`, `1`/`0` or
 * `yes`/`no`, in any case, to a boolean. Anything else fails (`expected true or false (also 1/0, yes/no)`), so
 * a setting such as `DB_SSL=on` or `DB_SSL=ture` is refused rather than read as false.
 * @example
 * BooleanTextSchema.parse('TRUE'); // true
 * BooleanTextSchema.parse('0'); // false
 * BooleanTextSchema.safeParse('on').success; // false
 */
export const BooleanTextSchema = z
  .string()
  .refine((text) => BOOLEAN_WORDS.includes(text.toLowerCase()), 'expected true or false (also 1/0, yes/no)')
  .transform((text) => TRUE_WORDS.includes(text.toLowerCase()));

/**
 * zod schema of the deployment's shared settings, as read from the environment (the ConfigMap
 * `crypto-trading-config` plus its Secret). Each package exports the schema of its own options too.
 */
export const TradepipeConfigSchema = z
  .object({
    pipelineId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default('tradepipe'),
    /** `paper` (default) simulates fills; `live` places real orders and needs the explicit confirmation. */
    mode: z.enum(['paper', 'live']).default('paper'),
    liveTradingConfirmed: z.boolean().default(false),
    products: z
      .array(ProductIdSchema)
      .min(1)
      .refine((products) => new Set(products).size === products.length, 'PRODUCTS names a product twice')
      .default(['BTC-USD']),
    granularity: GranularitySchema.default('ONE_DAY'),
    /** `TRADE_AMOUNT_USD`: what one BUY spends; greater than 0. */
    tradeQuoteAmount: DecimalStringSchema.refine(isPositiveDecimal, 'TRADE_AMOUNT_USD must be greater than 0').default(decimal('100')),
    database: z.object({
      url: optionalText,
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(5432),
      name: z.string().min(1).default('crypto_trading'),
      user: z.string().min(1).default('postgres'),
      password: optionalText,
      ssl: z.boolean().default(false),
    }),
    approval: z.object({
      keyId: z.string().min(1).default('risk'),
      secret: z.string().min(32, 'RISK_APPROVAL_SECRET must be at least 32 characters').optional(),
      /** An Ed25519 private key (PEM, `RISK_APPROVAL_PRIVATE_KEY`): the signing process's (risk) instead of the shared secret. */
      privateKeyPem: z.string().includes('PRIVATE KEY', { message: 'RISK_APPROVAL_PRIVATE_KEY must be a PEM private key' }).optional(),
      /** The Ed25519 public key (PEM, `RISK_APPROVAL_PUBLIC_KEY`): the verifying processes' (execution, fills), which then cannot sign. */
      publicKeyPem: z.string().includes('PUBLIC KEY', { message: 'RISK_APPROVAL_PUBLIC_KEY must be a PEM public key' }).optional(),
      /** Whether live mode needs the secret or a key in this process (default true: see `loadConfig`'s `requireApprovalSecret`). */
      required: z.boolean().default(true),
    }),
    ollama: z.object({ host: httpUrl.default('http://127.0.0.1:11434'), model: z.string().min(1).default('llama3.2') }),
    ports: z.object(Object.fromEntries(Object.entries(DEFAULT_SERVICE_PORTS).map(([name, value]) => [name, port.default(value)])) as {
      [K in keyof typeof DEFAULT_SERVICE_PORTS]: z.ZodDefault<typeof port>;
    }),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .superRefine((config, context) => {
    // `loadConfig({ requireApprovalSecret: false })` parses with the flag set: a process that neither signs nor
    // verifies approvals (a Kubernetes pod that is not given the secret) runs live without it.
    const { secret, privateKeyPem, publicKeyPem, required } = config.approval;
    const keyed = privateKeyPem !== undefined || publicKeyPem !== undefined;
    if (config.mode === 'live' && secret === undefined && !keyed && required) {
      context.addIssue({ code: 'custom', path: ['approval', 'secret'], message: 'live mode needs RISK_APPROVAL_SECRET, or an Ed25519 key (RISK_APPROVAL_PRIVATE_KEY in risk, RISK_APPROVAL_PUBLIC_KEY where approvals are verified)' });
    }
    // Only where approvals are signed or verified: an operator command given the whole environment still runs.
    if (secret !== undefined && keyed && required) {
      context.addIssue({ code: 'custom', path: ['approval'], message: 'give either RISK_APPROVAL_SECRET (HMAC) or an Ed25519 key (RISK_APPROVAL_PRIVATE_KEY / RISK_APPROVAL_PUBLIC_KEY), not both' });
    }
  });

/** The deployment's shared settings; see {@link TradepipeConfigSchema}. */
export interface TradepipeConfig extends z.output<typeof TradepipeConfigSchema> {}

/** Environment variables read by {@link loadConfig}, by setting. */
export const CONFIG_ENV_VARS = {
  pipelineId: 'PIPELINE_ID',
  mode: 'TRADING_MODE',
  liveTradingConfirmed: 'LIVE_TRADING_CONFIRM',
  products: 'PRODUCTS',
  granularity: 'GRANULARITY',
  tradeQuoteAmount: 'TRADE_AMOUNT_USD',
  databaseUrl: 'DATABASE_URL',
  databaseHost: 'DB_HOST',
  databasePort: 'DB_PORT',
  databaseName: 'DB_NAME',
  databaseUser: 'DB_USER',
  databasePassword: 'DB_PASSWORD',
  databaseSsl: 'DB_SSL',
  approvalKeyId: 'RISK_APPROVAL_KEY_ID',
  approvalSecret: 'RISK_APPROVAL_SECRET',
  approvalPrivateKey: 'RISK_APPROVAL_PRIVATE_KEY',
  approvalPublicKey: 'RISK_APPROVAL_PUBLIC_KEY',
  ollamaHost: 'OLLAMA_HOST',
  ollamaModel: 'OLLAMA_MODEL',
  logLevel: 'LOG_LEVEL',
} as const;

/** The environment variable of each service's port, read by {@link loadConfig}. */
export const SERVICE_PORT_ENV_VARS: Readonly<Record<keyof typeof DEFAULT_SERVICE_PORTS, string>> = {
  signalBridge: 'SIGNAL_BRIDGE_PORT',
  tradeOrchestrator: 'TRADE_ORCHESTRATOR_PORT',
  tradeExecutor: 'TRADE_EXECUTOR_PORT',
  signalGenerator: 'SIGNAL_GENERATOR_PORT',
  marketData: 'MARKET_DATA_PORT',
  riskManagement: 'RISK_MANAGEMENT_PORT',
  fillTracker: 'FILL_TRACKER_PORT',
  healthMonitor: 'HEALTH_MONITOR_PORT',
};

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /**
   * Whether live mode needs `RISK_APPROVAL_SECRET` (or an Ed25519 key: `RISK_APPROVAL_PRIVATE_KEY`,
   * `RISK_APPROVAL_PUBLIC_KEY`) in this process (default true). Only the processes that sign approvals (risk) or verify
   * them (execution, fills) need it; the others pass false and are not given it (the Kubernetes manifests give it to
   * those three services only). A process that does sign or verify still
   * refuses to build its signer without it.
   */
  readonly requireApprovalSecret?: boolean;
}

/** A yes/no variable's value (see {@link BooleanTextSchema}), `undefined` when unset; refuses anything else. */
function readFlag(text: string | undefined, variable: string): boolean | undefined {
  if (text === undefined) return undefined;
  const parsed = BooleanTextSchema.safeParse(text);
  if (!parsed.success) throw new TradepipeError('config_invalid', `Invalid configuration: ${variable} must be true or false (also 1/0, yes/no)`, { details: { variable } });
  return parsed.data;
}

/** A PEM key from an environment variable: its `\\n` escapes made newlines when it has no newline (an env file's one-line form). */
function pemOf(value: string | undefined): string | undefined {
  if (value === undefined || value.includes('\n')) return value;
  return value.replaceAll('\\n', '\n');
}

/**
 * Reads the shared settings from environment variables ({@link CONFIG_ENV_VARS}, the seed's `DB_HOST`/…,
 * service ports `*_PORT`). Paper mode is the default; live mode needs `TRADING_MODE=live` AND
 * `LIVE_TRADING_CONFIRM=I_ACCEPT_REAL_MONEY_RISK` AND an approval secret (unless `requireApprovalSecret: false`).
 * `DB_SSL` is read with {@link BooleanTextSchema} (`true`/`false`, `1`/`0`, `yes`/`no`, any case); `TRADE_AMOUNT_USD`
 * must be a fixed-point decimal greater than 0. Reads nothing but `env`.
 * @throws TradepipeError `live_trading_not_enabled` for live mode without the confirmation; `config_invalid` otherwise.
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, options: LoadConfigOptions = {}): TradepipeConfig {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const variables = CONFIG_ENV_VARS;
  const mode = read(variables.mode);
  const confirmation = read(variables.liveTradingConfirmed);
  if (mode === 'live' && confirmation !== LIVE_TRADING_CONFIRMATION) {
    throw new TradepipeError('live_trading_not_enabled', `TRADING_MODE=live needs ${variables.liveTradingConfirmed}=${LIVE_TRADING_CONFIRMATION}`);
  }
  const raw = {
    pipelineId: read(variables.pipelineId),
    mode,
    liveTradingConfirmed: confirmation === LIVE_TRADING_CONFIRMATION,
    products: read(variables.products)?.split(',').map((product) => product.trim()).filter(Boolean),
    granularity: read(variables.granularity),
    tradeQuoteAmount: read(variables.tradeQuoteAmount),
    database: {
      url: read(variables.databaseUrl),
      host: read(variables.databaseHost),
      port: read(variables.databasePort),
      name: read(variables.databaseName),
      user: read(variables.databaseUser),
      password: read(variables.databasePassword),
      ssl: readFlag(read(variables.databaseSsl), variables.databaseSsl),
    },
    approval: {
      keyId: read(variables.approvalKeyId),
      secret: read(variables.approvalSecret),
      privateKeyPem: pemOf(read(variables.approvalPrivateKey)),
      publicKeyPem: pemOf(read(variables.approvalPublicKey)),
      required: options.requireApprovalSecret !== false,
    },
    ollama: { host: read(variables.ollamaHost), model: read(variables.ollamaModel) },
    ports: Object.fromEntries(Object.entries(SERVICE_PORT_ENV_VARS).map(([name, variable]) => [name, read(variable)])),
    logLevel: read(variables.logLevel),
  };
  try {
    return parseWith(TradepipeConfigSchema, raw, 'configuration');
  } catch (error) {
    throw new TradepipeError('config_invalid', error instanceof Error ? error.message : 'Invalid configuration');
  }
}

/** The config with secrets (database URL password and password, approval secret and keys) redacted, for printing. */
export function redactConfig(config: TradepipeConfig): Record<string, unknown> {
  return redactFields(config as unknown as Record<string, unknown>);
}
