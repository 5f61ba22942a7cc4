import { TradepipeError } from '@tradepipe/core';
import type { z } from 'zod';

type Env = Readonly<Record<string, string | undefined>>;

/** An object schema whose fields can be read one environment variable each. */
type ObjectSchema = z.ZodType & { readonly shape: Readonly<Record<string, z.ZodType>> };

/** How a package's options map onto environment variables. */
export interface EnvMapping {
  /** Prefix of every variable: `RISK` maps `maxOrderQuote` to `RISK_MAX_ORDER_QUOTE`. */
  readonly prefix: string;
  /** Fields never read from the environment (set by the wiring, e.g. `liveTrading`). */
  readonly omit?: readonly string[];
  /** Variables for fields that do not follow the prefix rule (`{ host: 'OLLAMA_HOST' }`). */
  readonly rename?: Readonly<Record<string, string>>;
}

/** `maxOrderQuote` → `MAX_ORDER_QUOTE`. */
export function toEnvName(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The variable of each field of `schema` under `mapping`, by field. */
export function envVariablesOf(schema: ObjectSchema, mapping: EnvMapping): Record<string, string> {
  const omitted = new Set(mapping.omit ?? []);
  return Object.fromEntries(
    Object.keys(schema.shape)
      .filter((key) => !omitted.has(key))
      .map((key) => [key, mapping.rename?.[key] ?? `${mapping.prefix}_${toEnvName(key)}`]),
  );
}

function baseType(field: z.ZodType): string {
  let current = field as unknown as { _zod: { def: { type: string; innerType?: unknown } } };
  while (current._zod.def.innerType !== undefined) current = current._zod.def.innerType as typeof current;
  return current._zod.def.type;
}

/** Strings stay strings; anything else is read as JSON (`500`, `true`, `null`, `{"USD":"10000"}`), else kept as text for zod to refuse. */
function decode(field: z.ZodType, raw: string): unknown {
  const type = baseType(field);
  if (type === 'string' || type === 'enum' || type === 'literal') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Reads a package's options from environment variables, one per field, and parses them with that package's
 * zod schema (defaults apply to fields not set). Errors name variables, never values.
 * @param defaults values used for fields whose variable is unset (the service's own defaults)
 * @throws TradepipeError `config_invalid` naming the offending variables.
 * @example
 * const limits = readOptionsFromEnv(RiskLimitsSchema, process.env, { prefix: 'RISK' });
 */
export function readOptionsFromEnv<S extends ObjectSchema>(schema: S, env: Env, mapping: EnvMapping, defaults: Readonly<Record<string, unknown>> = {}): z.output<S> {
  const variables = envVariablesOf(schema, mapping);
  const raw: Record<string, unknown> = { ...defaults };
  for (const [key, variable] of Object.entries(variables)) {
    const value = env[variable]?.trim();
    if (value !== undefined && value !== '') raw[key] = decode(schema.shape[key]!, value);
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data as z.output<S>;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const key = String(issue.path[0] ?? '');
    return `${variables[key] ?? `${mapping.prefix}_*`}${issue.path.length > 1 ? `.${issue.path.slice(1).join('.')}` : ''}: ${issue.message}`;
  });
  throw new TradepipeError('config_invalid', `Invalid ${mapping.prefix}_* settings: ${problems.join('; ')}`, {
    details: { variables: problems.length },
  });
}
