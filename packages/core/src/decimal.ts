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

/**
 * zod schema of a {@link DecimalString} greater than zero, such as an amount to spend: `0`, `0.00` and
 * negatives fail with `must be greater than 0`.
 * @example
 * PositiveDecimalSchema.parse('100'); // '100'
 * PositiveDecimalSchema.safeParse('0').success; // false
 */
export const PositiveDecimalSchema = DecimalStringSchema.refine((value) => isPositiveDecimal(value), 'must be greater than 0');

/** Text already in canonical form: no leading zeros, no trailing fraction zeros, no `-0` (checked apart). */
const CANONICAL_DECIMAL = /^-?(0|[1-9]\d*)(\.\d*[1-9])?$/;

function canonical(text: string): string {
  // Canonical text is its own canonical form: no big number parsed, nothing allocated (most inputs are).
  if (CANONICAL_DECIMAL.test(text) && text !== '-0') return text;
  const value = new Decimal(text).toFixed();
  return value === '-0' ? '0' : value;
}

// --- Exact fast paths (no big number) ---
// Canonical text of at most 15 significant digits is an integer coefficient and a scale that a double holds
// exactly; sums, differences, products and integer quotients whose coefficients stay safe integers are then
// exact, and give the very text the big-number path gives (the quotient paths: see `roundedQuotient`). Anything
// else (more digits, a coefficient leaving the safe range, non-canonical text) takes the big-number path.

/** Digits a double holds exactly as an integer (2^53 > 10^15). */
const FAST_DIGITS = 15;
const POWERS_OF_TEN: readonly number[] = Array.from({ length: FAST_DIGITS + 1 }, (_, index) => 10 ** index);
/** What the last successful {@link parseFast} read (module scratch: no object per parse). */
let fastCoefficient = 0;
let fastScale = 0;

/** Reads canonical text of at most 15 digits into `fastCoefficient` (signed) and `fastScale`; `false` otherwise. */
function parseFast(text: string): boolean {
  if (text.length > FAST_DIGITS + 2 || !CANONICAL_DECIMAL.test(text) || text === '-0') return false;
  let coefficient = 0;
  let digits = 0;
  let scale = -1;
  const negative = text.charCodeAt(0) === 45;
  for (let index = negative ? 1 : 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 46) {
      scale = 0;
      continue;
    }
    coefficient = coefficient * 10 + (code - 48);
    if (coefficient !== 0) digits += 1;
    if (scale >= 0) scale += 1;
  }
  if (digits > FAST_DIGITS) return false;
  fastCoefficient = negative ? -coefficient : coefficient;
  fastScale = scale < 0 ? 0 : scale;
  return true;
}

/** `coefficient × 10^-scale` as canonical text (coefficient a safe integer). */
function formatFast(coefficient: number, scale: number): DecimalString {
  if (coefficient === 0) return '0' as DecimalString;
  while (scale > 0 && coefficient % 10 === 0) {
    coefficient /= 10;
    scale -= 1;
  }
  const negative = coefficient < 0;
  const digits = String(negative ? -coefficient : coefficient);
  const sign = negative ? '-' : '';
  if (scale === 0) return `${sign}${digits}` as DecimalString;
  if (digits.length > scale) return `${sign}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}` as DecimalString;
  return `${sign}0.${'0'.repeat(scale - digits.length)}${digits}` as DecimalString;
}

/** `coefficient × 10^by` if it stays a safe integer, else `undefined`. */
function scaleUp(coefficient: number, by: number): number | undefined {
  if (by > FAST_DIGITS) return undefined;
  const scaled = coefficient * POWERS_OF_TEN[by]!;
  return Number.isSafeInteger(scaled) ? scaled : undefined;
}

/**
 * `numerator ÷ denominator` (safe integers, denominator > 0, numerator ≥ 0) rounded to an integer by `mode`.
 * The big-number path divides to 40 decimal places (half-even) before rounding; with a denominator below 10^16
 * an inexact quotient lies at least 1/(2 × denominator) > 0.5e-40 from any integer or half-integer, so that first
 * rounding never changes the second: the results are the same.
 */
function roundedQuotient(numerator: number, denominator: number, mode: 0 | 3 | 2): number {
  let quotient = Math.floor(numerator / denominator);
  let remainder = numerator - quotient * denominator;
  // The double division is off by at most one.
  if (remainder < 0) {
    quotient -= 1;
    remainder += denominator;
  } else if (remainder >= denominator) {
    quotient += 1;
    remainder -= denominator;
  }
  if (remainder === 0 || mode === 0) return quotient;
  if (mode === 3) return quotient + 1;
  const twice = remainder * 2;
  if (twice > denominator) return quotient + 1;
  if (twice < denominator) return quotient;
  return quotient % 2 === 0 ? quotient : quotient + 1;
}

/** −1, 0 or 1 comparing two canonical texts, digit by digit (no number parsed). */
function compareCanonical(a: string, b: string): -1 | 0 | 1 {
  const negativeA = a.charCodeAt(0) === 45;
  const negativeB = b.charCodeAt(0) === 45;
  if (negativeA !== negativeB) return negativeA ? -1 : 1;
  const magnitude = compareMagnitudes(a, negativeA ? 1 : 0, b, negativeB ? 1 : 0);
  return negativeA ? ((-magnitude || 0) as -1 | 0 | 1) : magnitude;
}

/** Compares the magnitudes of canonical texts read from `fromA` / `fromB` (no leading zeros, no trailing fraction zeros). */
function compareMagnitudes(a: string, fromA: number, b: string, fromB: number): -1 | 0 | 1 {
  const pointA = a.indexOf('.', fromA);
  const pointB = b.indexOf('.', fromB);
  const integerA = (pointA < 0 ? a.length : pointA) - fromA;
  const integerB = (pointB < 0 ? b.length : pointB) - fromB;
  if (integerA !== integerB) return integerA < integerB ? -1 : 1;
  for (let index = 0; index < integerA; index += 1) {
    const difference = a.charCodeAt(fromA + index) - b.charCodeAt(fromB + index);
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  const fractionA = pointA < 0 ? a.length : pointA + 1;
  const fractionB = pointB < 0 ? b.length : pointB + 1;
  const lengthA = a.length - fractionA;
  const lengthB = b.length - fractionB;
  for (let index = 0; index < Math.max(lengthA, lengthB); index += 1) {
    const digitA = index < lengthA ? a.charCodeAt(fractionA + index) : 48;
    const digitB = index < lengthB ? b.charCodeAt(fractionB + index) : 48;
    if (digitA !== digitB) return digitA < digitB ? -1 : 1;
  }
  return 0;
}

/** Whether `text` is canonical (what {@link compareCanonical} reads). */
const isCanonical = (text: string): boolean => CANONICAL_DECIMAL.test(text) && text !== '-0';

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
  return sumFast(a, b, 1) ?? out(big(a).plus(big(b)));
}

/** a + sign × b on the exact fast path, or `undefined` (then the big-number path answers). */
function sumFast(a: string, b: string, sign: 1 | -1): DecimalString | undefined {
  if (!parseFast(a)) return undefined;
  const coefficientA = fastCoefficient;
  const scaleA = fastScale;
  if (!parseFast(b)) return undefined;
  const scale = Math.max(scaleA, fastScale);
  const alignedA = scaleUp(coefficientA, scale - scaleA);
  const alignedB = scaleUp(fastCoefficient, scale - fastScale);
  if (alignedA === undefined || alignedB === undefined) return undefined;
  const sum = alignedA + sign * alignedB;
  return Number.isSafeInteger(sum) ? formatFast(sum, scale) : undefined;
}

/** a − b, exact. */
export function subtractDecimal(a: DecimalString, b: DecimalString): DecimalString {
  return sumFast(a, b, -1) ?? out(big(a).minus(big(b)));
}

/** a × b, exact. */
export function multiplyDecimal(a: DecimalString, b: DecimalString): DecimalString {
  if (parseFast(a)) {
    const coefficientA = fastCoefficient;
    const scaleA = fastScale;
    if (parseFast(b)) {
      // A product of safe integers is exact when it is itself below 2^53 (a larger one rounds to 2^53 or more).
      const product = coefficientA * fastCoefficient;
      if (Number.isSafeInteger(product)) return formatFast(product, scaleA + fastScale);
    }
  }
  return out(big(a).times(big(b)));
}

/**
 * a ÷ b, to `decimalPlaces` digits with the given rounding.
 * @throws TradepipeError `validation_failed` on division by zero.
 */
export function divideDecimal(a: DecimalString, b: DecimalString, decimalPlaces = 18, rounding: RoundingMode = 'down'): DecimalString {
  const fast = quotientFast(a, b, decimalPlaces, ROUNDING[rounding]);
  if (fast !== undefined) return fast;
  const divisor = big(b);
  if (divisor.eq('0')) throw new TradepipeError('validation_failed', 'Division by zero');
  return out(big(a).div(divisor).round(decimalPlaces, ROUNDING[rounding]));
}

/**
 * a ÷ b rounded to `decimalPlaces` on the exact fast path (`a × 10^places ÷ b` as a quotient of safe integers,
 * rounded as the big-number path rounds it, see `roundedQuotient`), or `undefined`.
 */
function quotientFast(a: string, b: string, decimalPlaces: number, mode: 0 | 3 | 2): DecimalString | undefined {
  if (!Number.isInteger(decimalPlaces) || decimalPlaces < 0 || decimalPlaces > 20 || !parseFast(a)) return undefined;
  const coefficientA = fastCoefficient;
  const scaleA = fastScale;
  if (!parseFast(b) || fastCoefficient === 0) return undefined;
  // a / b × 10^places = coefficientA × 10^(scaleB + places − scaleA) / coefficientB
  const exponent = fastScale + decimalPlaces - scaleA;
  const numerator = exponent >= 0 ? scaleUp(Math.abs(coefficientA), exponent) : Math.abs(coefficientA);
  const denominator = exponent >= 0 ? Math.abs(fastCoefficient) : scaleUp(Math.abs(fastCoefficient), -exponent);
  if (numerator === undefined || denominator === undefined || denominator >= 1e16) return undefined;
  const magnitude = roundedQuotient(numerator, denominator, mode);
  const negative = coefficientA < 0 !== fastCoefficient < 0;
  return formatFast(negative ? -magnitude : magnitude, decimalPlaces);
}

/** −1, 0 or 1 as a < b, a = b, a > b. */
export function compareDecimal(a: DecimalString, b: DecimalString): -1 | 0 | 1 {
  if (isCanonical(a) && isCanonical(b)) return compareCanonical(a, b);
  return big(a).cmp(big(b)) as -1 | 0 | 1;
}

/** The smaller of two decimals. */
export function minDecimal(a: DecimalString, b: DecimalString): DecimalString {
  return compareDecimal(a, b) <= 0 ? a : b;
}

/**
 * Whether the decimal is greater than zero.
 * @example
 * isPositiveDecimal(decimal('0.01')); // true
 * isPositiveDecimal(decimal('0')); // false
 */
export function isPositiveDecimal(a: DecimalString): boolean {
  return !a.startsWith('-') && !isZeroDecimal(a);
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
  const fast = roundToStepFast(value, increment, ROUNDING[rounding]);
  if (fast !== undefined) return fast;
  const step = big(increment);
  if (step.lte('0')) throw new TradepipeError('validation_failed', 'Increment must be positive', { details: { increment } });
  return out(big(value).div(step).round(0, ROUNDING[rounding]).times(step));
}

/** `value` rounded to a multiple of a positive `increment` on the exact fast path, or `undefined`. */
function roundToStepFast(value: string, increment: string, mode: 0 | 3 | 2): DecimalString | undefined {
  if (!parseFast(increment) || fastCoefficient <= 0) return undefined;
  const stepCoefficient = fastCoefficient;
  const stepScale = fastScale;
  if (!parseFast(value)) return undefined;
  const scale = Math.max(stepScale, fastScale);
  const units = scaleUp(Math.abs(fastCoefficient), scale - fastScale);
  const step = scaleUp(stepCoefficient, scale - stepScale);
  if (units === undefined || step === undefined || step >= 1e16) return undefined;
  const multiple = roundedQuotient(units, step, mode) * step;
  if (!Number.isSafeInteger(multiple)) return undefined;
  return formatFast(fastCoefficient < 0 ? -multiple : multiple, scale);
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
  return fromFixedTextFast(text, increment, ROUNDING[rounding]) ?? floorToIncrement(decimal(text), increment, rounding);
}

/** Powers of ten as big integers, 10^0 … 10^20. */
const BIG_POWERS_OF_TEN: readonly bigint[] = Array.from({ length: 21 }, (_, index) => 10n ** BigInt(index));

/**
 * A number's `toFixed(20)` text rounded to a multiple of a positive increment of at most 15 digits and 20
 * places, on big integers (a handful of small ones instead of the big-number path's digit arrays), or
 * `undefined`. The quotient is rounded as the 40-place big-number division rounds it: its denominator is below
 * 10^36, so the argument of `roundedQuotient` holds.
 */
function fromFixedTextFast(text: string, increment: string, mode: 0 | 3 | 2): DecimalString | undefined {
  if (!parseFast(increment) || fastCoefficient <= 0 || fastScale > 20) return undefined;
  const stepCoefficient = fastCoefficient;
  const stepScale = fastScale;
  const point = text.indexOf('.');
  if (text === '0') return '0' as DecimalString;
  if (point < 0 || text.length - point - 1 !== 20 || !LOOSE_DECIMAL.test(text)) return undefined; // exponent notation: the big-number path refuses it
  const negative = text.charCodeAt(0) === 45;
  const units = BigInt(`${text.slice(negative ? 1 : 0, point)}${text.slice(point + 1)}`); // × 10^-20
  const step = BigInt(stepCoefficient) * BIG_POWERS_OF_TEN[20 - stepScale]!;
  let quotient = units / step;
  const remainder = units - quotient * step;
  if (remainder !== 0n && mode === 3) quotient += 1n;
  if (remainder !== 0n && mode === 2) {
    const twice = remainder * 2n;
    if (twice > step || (twice === step && quotient % 2n === 1n)) quotient += 1n;
  }
  const multiple = Number(quotient) * stepCoefficient; // × 10^-stepScale
  if (!Number.isSafeInteger(multiple) || quotient > 9_007_199_254_740_991n) return undefined;
  return formatFast(negative ? -multiple : multiple, stepScale);
}

/** A decimal as an approximate number, for estimates (risk, features); never feed it back into money. */
export function toApproxNumber(value: DecimalString): number {
  return Number(value);
}
