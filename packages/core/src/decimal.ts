import BigImport from 'big.js';
import { z } from 'zod';
import { TradepipeError } from './errors.js';

// big.js ships as CJS with `export default`; under NodeNext either shape may arrive.
const BigConstructor: typeof BigImport = (BigImport as unknown as { default?: typeof BigImport }).default ?? BigImport;
const Decimal = BigConstructor();
Decimal.DP = 40;
Decimal.RM = BigConstructor.roundHalfEven;
Decimal.NE = -1_000_000;
Decimal.PE = 1_000_000;
Decimal.strict = true;

const PLAIN_DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const LOOSE_DECIMAL = /^-?\d+(\.\d+)?$/;

/** A fixed-point decimal string such as `"0.00000001"` or `"64000.5"`: never an exponent, never a float. */
export type DecimalString = string & { readonly __brand: 'DecimalString' };

/** How to round when a decimal has more digits than allowed. */
export type RoundingMode = 'down' | 'up' | 'half-even';

const ROUNDING: Record<RoundingMode, 0 | 3 | 2> = { down: 0, up: 3, 'half-even': 2 };

/**
 * zod schema of a {@link DecimalString}. Accepts plain fixed-point text (leading zeros and trailing
 * zeros allowed, as exchanges send them) and yields the canonical form.
 */
export const DecimalStringSchema = z
  .string()
  .regex(LOOSE_DECIMAL, 'expected a fixed-point decimal string without exponent')
  .transform((text) => canonical(text) as DecimalString);

/** zod schema of a non-negative {@link DecimalString}. */
export const NonNegativeDecimalSchema = DecimalStringSchema.refine((value) => !value.startsWith('-'), 'must not be negative');

/** Text already in canonical form: no leading zeros, no trailing fraction zeros, no `-0` (checked apart). */
const CANONICAL_DECIMAL = /^-?(0|[1-9]\d*)(\.\d*[1-9])?$/;

function canonical(text: string): string {
  // Canonical text is its own canonical form: no big number parsed, nothing allocated (most inputs are).
  if (CANONICAL_DECIMAL.test(text) && text !== '-0') return text;
  const value = new Decimal(text).toFixed();
  return value === '-0' ? '0' : value;
}

function big(value: DecimalString | string): BigImport {
  if (!LOOSE_DECIMAL.test(value)) {
    throw new TradepipeError('validation_failed', 'Not a fixed-point decimal string', { details: { length: value.length } });
  }
  return new Decimal(value);
}

function out(value: BigImport): DecimalString {
  return canonical(value.toFixed()) as DecimalString;
}

/**
 * Parses text into a canonical {@link DecimalString}.
 * @throws TradepipeError `validation_failed` if the text is not fixed-point decimal.
 * @example
 * decimal('10.50'); // '10.5'
 */
export function decimal(text: string): DecimalString {
  return out(big(text));
}

/** Whether `text` is a canonical fixed-point decimal string. */
export function isDecimalString(text: string): text is DecimalString {
  return PLAIN_DECIMAL.test(text) && canonical(text) === text;
}

/** a + b, exact. @example addDecimal(decimal('0.1'), decimal('0.2')); // '0.3' */
export function addDecimal(a: DecimalString, b: DecimalString): DecimalString {
  return out(big(a).plus(big(b)));
}

/** a − b, exact. */
export function subtractDecimal(a: DecimalString, b: DecimalString): DecimalString {
  return out(big(a).minus(big(b)));
}

/** a × b, exact. */
export function multiplyDecimal(a: DecimalString, b: DecimalString): DecimalString {
  return out(big(a).times(big(b)));
}

/**
 * a ÷ b, to `decimalPlaces` digits with the given rounding.
 * @throws TradepipeError `validation_failed` on division by zero.
 */
export function divideDecimal(a: DecimalString, b: DecimalString, decimalPlaces = 18, rounding: RoundingMode = 'down'): DecimalString {
  const divisor = big(b);
  if (divisor.eq('0')) throw new TradepipeError('validation_failed', 'Division by zero');
  return out(big(a).div(divisor).round(decimalPlaces, ROUNDING[rounding]));
}

/** −1, 0 or 1 as a < b, a = b, a > b. */
export function compareDecimal(a: DecimalString, b: DecimalString): -1 | 0 | 1 {
  return big(a).cmp(big(b)) as -1 | 0 | 1;
}

/** The smaller of two decimals. */
export function minDecimal(a: DecimalString, b: DecimalString): DecimalString {
  return compareDecimal(a, b) <= 0 ? a : b;
}

/** Whether the decimal is zero. */
export function isZeroDecimal(a: DecimalString): boolean {
  if (a === '0') return true;
  if (CANONICAL_DECIMAL.test(a) && a !== '-0') return false; // canonical text is zero only as '0'
  return big(a).eq('0');
}

/** The decimal's sign: −1, 0 or 1. */
export function signDecimal(a: DecimalString): -1 | 0 | 1 {
  if (a === '0') return 0;
  if (CANONICAL_DECIMAL.test(a) && a !== '-0') return a.charCodeAt(0) === 45 ? -1 : 1; // canonical and not zero
  return big(a).cmp('0') as -1 | 0 | 1;
}

/**
 * Rounds a value to a multiple of the product's increment (sizes round down by default).
 * @throws TradepipeError `validation_failed` if the increment is not positive.
 * @example
 * floorToIncrement(decimal('0.123456'), decimal('0.001')); // '0.123'
 */
export function floorToIncrement(value: DecimalString, increment: DecimalString, rounding: RoundingMode = 'down'): DecimalString {
  const step = big(increment);
  if (step.lte('0')) throw new TradepipeError('validation_failed', 'Increment must be positive', { details: { increment } });
  return out(big(value).div(step).round(0, ROUNDING[rounding]).times(step));
}

/**
 * Turns a number (an estimate: a price from a candle, a risk-sized amount) into a decimal rounded to
 * the increment. This is the only way from `number` into money.
 * @throws TradepipeError `validation_failed` if the number is not finite or the increment not positive.
 * @example
 * decimalFromNumber(99.999, decimal('0.01')); // '99.99'
 */
export function decimalFromNumber(value: number, increment: DecimalString, rounding: RoundingMode = 'down'): DecimalString {
  if (!Number.isFinite(value)) throw new TradepipeError('validation_failed', 'Cannot turn a non-finite number into a decimal');
  // toFixed(20) avoids exponent notation for |value| >= 1e-7 and keeps every digit a double can hold.
  const text = Math.abs(value) < 1e-20 ? '0' : value.toFixed(20);
  return floorToIncrement(decimal(text), increment, rounding);
}

/** A decimal as an approximate number, for estimates (risk, features); never feed it back into money. */
export function toApproxNumber(value: DecimalString): number {
  return Number(value);
}
