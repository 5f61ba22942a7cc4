import { GRANULARITIES, type Granularity } from '@tradepipe/core';
import { UsageError } from './cli-errors.js';

type Values = Readonly<Record<string, string | boolean | undefined>>;

/** A string option's value, if given. */
export function stringOption(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Plain decimal text: `12`, `-0.5`, `.5`; no sign `+`, no hex (`0x10`), no exponent, no spaces, no `Infinity`. */
const PLAIN_DECIMAL = /^-?(\d+(\.\d+)?|\.\d+)$/;
/** Plain decimal text with an optional exponent (`1e-9`), for options that are no amount (`--tolerance`). */
const DECIMAL_WITH_EXPONENT = /^-?(\d+(\.\d+)?|\.\d+)(e[-+]?\d+)?$/i;

/** Options of {@link numberOption}. */
export interface NumberOptionRange {
  /** The smallest value allowed. */
  readonly min?: number;
  /** The largest value allowed. */
  readonly max?: number;
  /** Whole numbers only. */
  readonly integer?: boolean;
  /** Accept an exponent (`1e-9`) too: only for options that are no amount and whose natural values are tiny or huge. */
  readonly exponent?: boolean;
}

/**
 * A number option, written as a plain decimal (`1000`, `0.55`, `-0.02`) and checked against its range. Hex
 * (`0x10`, which `Number` reads as 16), exponents (`1e21`, unless `exponent`), `Infinity`, blanks and spaces are
 * refused with a usage error naming the option.
 * @throws UsageError
 */
export function numberOption(values: Values, name: string, options: NumberOptionRange = {}): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const value = (options.exponent === true ? DECIMAL_WITH_EXPONENT : PLAIN_DECIMAL).test(text) ? Number(text) : Number.NaN;
  const fits = Number.isFinite(value) && (options.integer !== true || Number.isInteger(value)) && value >= (options.min ?? -Infinity) && value <= (options.max ?? Infinity);
  if (!fits) {
    const kind = options.integer === true ? 'an integer' : options.exponent === true ? 'a decimal number (an exponent such as 1e-9 allowed)' : 'a plain decimal number';
    const bounds = [options.min === undefined ? '' : `≥ ${options.min}`, options.max === undefined ? '' : `≤ ${options.max}`].filter(Boolean).join(' and ');
    throw new UsageError(`--${name} must be ${kind}${bounds === '' ? '' : ` ${bounds}`}, not '${text}'`);
  }
  return value;
}

const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A duration option: a whole number with a unit (`90m`, `24h`, `5d`, `2w`, `30s`, `250ms`) or plain milliseconds,
 * as ms, at least 1 ms. @throws UsageError
 */
export function durationOption(values: Values, name: string): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const match = /^(\d+)(ms|s|m|h|d|w)?$/.exec(text.trim());
  const ms = match === null ? Number.NaN : Number(match[1]) * DURATION_UNIT_MS[match[2] ?? 'ms']!;
  if (!Number.isSafeInteger(ms) || ms < 1) throw new UsageError(`--${name} must be a duration such as 5d, 24h, 90m or plain milliseconds, not '${text}'`);
  return ms;
}

/** A duration for output: `5d`, `36h`, `90m`, `45s` or `250ms`, the largest unit that divides it. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's']) {
    if (ms % DURATION_UNIT_MS[unit]! === 0) return `${ms / DURATION_UNIT_MS[unit]!}${unit}`;
  }
  return `${ms}ms`;
}

/** A date option: `YYYY-MM-DD` (UTC midnight) or an ISO timestamp, as epoch ms. @throws UsageError */
export function dateOption(values: Values, name: string): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`--${name} must be a date (YYYY-MM-DD or an ISO timestamp), not '${text}'`);
  return ms;
}

/** A granularity option (`ONE_DAY`, `one_hour`, `1h`, `5m`, `1d`). @throws UsageError */
export function granularityOption(values: Values, name: string, fallback: Granularity): Granularity {
  const text = stringOption(values, name);
  if (text === undefined) return fallback;
  const shorthand: Record<string, Granularity> = { '1m': 'ONE_MINUTE', '5m': 'FIVE_MINUTE', '15m': 'FIFTEEN_MINUTE', '30m': 'THIRTY_MINUTE', '1h': 'ONE_HOUR', '2h': 'TWO_HOUR', '6h': 'SIX_HOUR', '1d': 'ONE_DAY' };
  const granularity = shorthand[text.toLowerCase()] ?? text.toUpperCase();
  if (!(granularity in GRANULARITIES)) throw new UsageError(`--${name} must be one of ${Object.keys(GRANULARITIES).join(', ')} (or 1m, 5m, 15m, 30m, 1h, 2h, 6h, 1d), not '${text}'`);
  return granularity as Granularity;
}

/** A choice among fixed words. @throws UsageError */
export function choiceOption<T extends string>(values: Values, name: string, choices: readonly T[], fallback: T): T {
  const text = stringOption(values, name);
  if (text === undefined) return fallback;
  if (!(choices as readonly string[]).includes(text)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, not '${text}'`);
  return text as T;
}

/** A product id such as `BTC-USD`. @throws UsageError */
export function productOption(values: Values, name: string, fallback: string): string {
  const text = stringOption(values, name) ?? fallback;
  if (!/^[A-Z0-9]{2,10}-[A-Z0-9]{2,10}$/.test(text)) throw new UsageError(`--${name} must look like BTC-USD, not '${text}'`);
  return text;
}

/** ISO date of an epoch ms, for output. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
