import { REDACTED, redactText, sanitizeCause } from './errors.js';

/** Structured log fields. Values pass through {@link redactFields} before any sink sees them. */
export type LogFields = Readonly<Record<string, unknown>>;

/** The structured logger every package takes by injection. Messages are constant strings; data goes in fields. */
export interface Logger {
  /**
   * Writes a debug line: detail useful only when investigating.
   * @param message a constant string
   * @param fields the data of the line; {@link createJsonLogger} and {@link childLogger} redact them, a logger of your
   * own receives them as given
   */
  debug(message: string, fields?: LogFields): void;
  /**
   * Writes an info line: a normal event worth keeping (a migration applied, an order status changed).
   * @param message a constant string
   * @param fields the data of the line
   */
  info(message: string, fields?: LogFields): void;
  /**
   * Writes a warning: something failed or drifted and was handled (a retry, a reconnect, balance drift, a listener
   * that threw).
   * @param message a constant string
   * @param fields the data of the line
   */
  warn(message: string, fields?: LogFields): void;
  /**
   * Writes an error: something failed that needs a person (a pipeline worker stopped, an exchange reporting more
   * filled than ordered).
   * @param message a constant string
   * @param fields the data of the line
   */
  error(message: string, fields?: LogFields): void;
}

/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** The default logger: prints nothing. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const SECRET_KEY = /(api_?key|private_?key|secret|password|passwd|authorization|jwt|token|signature|pem|credential|cookie)/i;

/**
 * Returns a deep copy of `fields` with secrets removed: values under keys that name secrets
 * (`apiKey`, `privateKey`, `authorization`, `jwt`, `secret`, `password`, …) become `[REDACTED]`, strings
 * lose PEM blocks, JWTs and URL passwords, and errors are reduced to name, code, status and message.
 * @example
 * redactFields({ apiKey: 'abc', productId: 'BTC-USD' }); // { apiKey: '[REDACTED]', productId: 'BTC-USD' }
 */
export function redactFields(fields: LogFields): Record<string, unknown> {
  return redactValue(fields, 0) as Record<string, unknown>;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[DEPTH]';
  if (value instanceof Error) {
    const sanitized = sanitizeCause(value);
    return 'toJSON' in sanitized ? sanitized.toJSON() : sanitized;
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const result: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    result[key] = SECRET_KEY.test(key) && inner !== undefined && inner !== null ? REDACTED : redactValue(inner, depth + 1);
  }
  return result;
}

/**
 * A logger writing one JSON object per line (`{"level","message","atMs",...fields}`), redacted.
 * @param options.write where lines go (e.g. `line => process.stdout.write(line + '\n')`)
 * @param options.level the lowest level written (default `info`)
 * @param options.nowMs the time source for `atMs`
 * @example
 * const logger = createJsonLogger({ write: (line) => process.stdout.write(`${line}\n`) });
 */
export function createJsonLogger(options: {
  write: (line: string) => void;
  level?: LogLevel;
  nowMs?: () => number;
  fields?: LogFields;
}): Logger {
  const minimum = LEVEL_ORDER[options.level ?? 'info'];
  const base = options.fields ?? {};
  const log = (level: LogLevel) => (message: string, fields: LogFields = {}) => {
    if (LEVEL_ORDER[level] < minimum) return;
    const entry = { level, message: redactText(message), atMs: options.nowMs?.(), ...redactFields({ ...base, ...fields }) };
    options.write(JSON.stringify(entry));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/**
 * Wraps a logger so every line carries `fields` too (e.g. `{ stage: 'risk' }`), with every field passed
 * through {@link redactFields} first, so a user's own sink (pino, console) never receives a secret.
 */
export function childLogger(logger: Logger, fields: LogFields): Logger {
  // Nothing to write, nothing to redact: a child of the silent logger is the silent logger (a replay's stages log
  // per candle, and redacting lines nobody reads cost ≈ 110 ms over a year of minutes).
  if (logger === silentLogger) return silentLogger;
  const merge = (extra: LogFields | undefined): Record<string, unknown> => redactFields({ ...fields, ...extra });
  return {
    debug: (message, extra) => logger.debug(redactText(message), merge(extra)),
    info: (message, extra) => logger.info(redactText(message), merge(extra)),
    warn: (message, extra) => logger.warn(redactText(message), merge(extra)),
    error: (message, extra) => logger.error(redactText(message), merge(extra)),
  };
}
