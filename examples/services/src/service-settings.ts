import { z } from 'zod';
import { readOptionsFromEnv, toEnvName } from './env-options.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Settings of the service programs themselves (not of a package): drain time, backfill depth, how paper
 * orders are priced, what the health monitor polls. Read as `DRAIN_TIMEOUT_MS`, `BACKFILL_CANDLES`, ….
 */
export const ServiceSettingsSchema = z.object({
  /** Interface the HTTP server listens on. */
  httpHost: z.string().min(1).default('0.0.0.0'),
  /** How long `stop` lets in-flight items finish after SIGTERM (keep below the pod's terminationGracePeriodSeconds). */
  drainTimeoutMs: z.number().int().positive().max(300_000).default(20_000),
  /** Candles fetched on the first start of market data (the feature set warms up on 700). */
  backfillCandles: z.number().int().positive().max(10_000).default(750),
  /** How often market data refreshes the products (status, increments) in the store. */
  productRefreshMs: z.number().int().positive().default(3_600_000),
  /** How often the fill tracker reconciles balances with the exchange, when its executor can. */
  reconcileIntervalMs: z.number().int().positive().default(60_000),
  /** How long a risk approval (and its exposure reservation) lives. */
  approvalTtlMs: z.number().int().positive().default(120_000),
  /** Run the rule validator beside Ollama (every validator must approve). */
  rulesEnabled: z.boolean().default(true),
  /** Paper fills: `coinbase` = the live price when the order is placed; `next-candle` = the next candle's open. */
  paperQuoteSource: z.enum(['coinbase', 'next-candle']).default('coinbase'),
  /** Paper balances put in an empty store on start, e.g. `{"USD":"10000"}`. */
  paperStartingBalances: z.record(z.string(), z.string().regex(/^\d+(\.\d+)?$/)).default({ USD: '10000' }),
  /** An `.onnx` model instead of the shipped default. */
  modelPath: z.string().min(1).optional(),
  /** Below this probability a BUY or SELL becomes HOLD. */
  modelMinConfidence: z.number().min(0).max(1).default(0),
  /** Coinbase market data WebSocket. */
  coinbaseWebsocketUrl: z.string().url().optional(),
  /** Read candles and products from the public endpoints (no key needed). Default: true unless a key is set. */
  coinbasePublicEndpoints: z.boolean().optional(),
  /** Health monitor: the services to poll, `name=url,…` (default every service at `http://<name>:<port>`). */
  healthTargets: z.string().optional(),
  /** Health monitor: deadline of one service's `/health`. */
  healthCheckTimeoutMs: z.number().int().positive().default(3_000),
});

/** Settings of the service programs; see {@link ServiceSettingsSchema}. */
export type ServiceSettings = z.output<typeof ServiceSettingsSchema>;

/**
 * Reads the service settings from the environment.
 * @throws TradepipeError `config_invalid` naming the variables at fault.
 */
export function readServiceSettings(env: Env): ServiceSettings {
  return readOptionsFromEnv(ServiceSettingsSchema, env, { prefix: '', rename: serviceSettingsVariables() });
}

/** `drainTimeoutMs` → `DRAIN_TIMEOUT_MS`, for every service setting. */
export function serviceSettingsVariables(): Record<string, string> {
  return Object.fromEntries(Object.keys(ServiceSettingsSchema.shape).map((key) => [key, toEnvName(key)]));
}
