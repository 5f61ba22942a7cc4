import Big from 'big.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PositiveDecimalSchema,
  addDecimal,
  compareDecimal,
  decimal,
  decimalFromNumber,
  divideDecimal,
  floorToIncrement,
  isPositiveDecimal,
  multiplyDecimal,
  subtractDecimal,
  type DecimalString,
  type RoundingMode,
} from './decimal.js';

fc.configureGlobal({ seed: 20261125, numRuns: 300 });

const decimalText = fc
  .tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.nat({ max: 12 }))
  .map(([units, scale]) => {
    const negative = units < 0n;
    const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
    const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
    return decimal(`${negative ? '-' : ''}${text}`);
  });

describe('decimal helpers', () => {
  it('adds and subtracts exactly', () => {
    expect(addDecimal(decimal('0.1'), decimal('0.2'))).toBe('0.3');
    fc.assert(fc.property(decimalText, decimalText, (a, b) => subtractDecimal(addDecimal(a, b), b) === a));
  });

  it('orders consistently with subtraction', () => {
    fc.assert(fc.property(decimalText, decimalText, (a, b) => compareDecimal(a, b) === -compareDecimal(b, a)));
  });

  it('rounds sizes down to the increment, never up', () => {
    expect(floorToIncrement(decimal('0.123456'), decimal('0.001'))).toBe('0.123');
    const increment = fc.constantFrom('0.00000001', '0.001', '0.01', '1', '0.5').map(decimal);
    fc.assert(
      fc.property(decimalText.filter((value) => !value.startsWith('-')), increment, (value, step) => {
        const floored = floorToIncrement(value, step);
        const remainder = subtractDecimal(floored, multiplyDecimal(divideDecimal(floored, step, 0), step));
        return compareDecimal(floored, value) <= 0 && compareDecimal(subtractDecimal(value, floored), step) < 0 && remainder === '0';
      }),
    );
  });

  it('never writes an exponent', () => {
    expect(decimalFromNumber(1e-8, decimal('0.00000001'))).toBe('0.00000001');
    expect(decimalFromNumber(123456789012.345, decimal('0.01'))).toBe('123456789012.34');
    fc.assert(fc.property(fc.double({ min: 1e-6, max: 1e12, noNaN: true }), (value) => !/e/i.test(decimalFromNumber(value, decimal('0.00000001')))));
  });

  it('refuses exponent input, division by zero and non-finite numbers', () => {
    expect(() => decimal('1e-8')).toThrow(/fixed-point/);
    expect(() => divideDecimal(decimal('1'), decimal('0'))).toThrow(/zero/);
    expect(() => decimalFromNumber(Number.NaN, decimal('1'))).toThrow();
  });
});

describe('decimal fast paths', () => {
  // The big-number path as decimal.ts configures it: what every fast path must give, digit for digit.
  const Reference = Big();
  Reference.DP = 40;
  Reference.RM = Big.roundHalfEven;
  Reference.NE = -1_000_000;
  Reference.PE = 1_000_000;
  const text = (value: InstanceType<typeof Reference>): string => {
    const fixed = value.toFixed();
    return fixed === '-0' ? '0' : fixed;
  };
  const modes = { down: 0, up: 3, 'half-even': 2 } as const;
  // Canonical texts of 1 to 18 significant digits at scales 0 to 18: both sides of the 15-digit fast-path limit.
  const anyDecimal = fc
    .tuple(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), fc.nat({ max: 18 }), fc.nat({ max: 18 }))
    .map(([units, digits, scale]) => {
      const trimmed = units / 10n ** BigInt(Math.max(0, units.toString().replace('-', '').length - Math.max(1, digits)));
      const negative = trimmed < 0n;
      const body = (negative ? -trimmed : trimmed).toString().padStart(scale + 1, '0');
      return decimal(`${negative ? '-' : ''}${scale === 0 ? body : `${body.slice(0, -scale)}.${body.slice(-scale)}`}`);
    });
  const positive = anyDecimal.filter((value) => compareDecimal(value, decimal('0')) > 0);
  const mode = fc.constantFrom<RoundingMode>('down', 'up', 'half-even');

  it('add, subtract, multiply and compare as the big-number path does', () => {
    fc.assert(
      fc.property(anyDecimal, anyDecimal, (a, b) => {
        expect(addDecimal(a, b)).toBe(text(new Reference(a).plus(b)));
        expect(subtractDecimal(a, b)).toBe(text(new Reference(a).minus(b)));
        expect(multiplyDecimal(a, b)).toBe(text(new Reference(a).times(b)));
        expect(compareDecimal(a, b)).toBe(new Reference(a).cmp(b));
      }),
      { numRuns: 3000 },
    );
  });

  it('divide and round to an increment as the big-number path does, in every rounding mode', () => {
    fc.assert(
      fc.property(anyDecimal, positive, fc.nat({ max: 24 }), mode, (a, b, places, rounding) => {
        expect(divideDecimal(a, b, places, rounding)).toBe(text(new Reference(a).div(b).round(places, modes[rounding])));
        expect(divideDecimal(a, decimal(`-${b}`), places, rounding)).toBe(text(new Reference(a).div(`-${b}`).round(places, modes[rounding])));
        expect(floorToIncrement(a, b, rounding)).toBe(text(new Reference(a).div(b).round(0, modes[rounding]).times(b)));
      }),
      { numRuns: 3000 },
    );
    // Ties and near-ties: exact halves round to even, anything past them up.
    expect(floorToIncrement(decimal('0.25'), decimal('0.1'), 'half-even')).toBe('0.2');
    expect(floorToIncrement(decimal('0.35'), decimal('0.1'), 'half-even')).toBe('0.4');
    expect(floorToIncrement(decimal('-0.35'), decimal('0.1'), 'half-even')).toBe('-0.4');
    expect(divideDecimal(decimal('1'), decimal('3'), 2, 'up')).toBe('0.34');
    expect(divideDecimal(decimal('-1'), decimal('3'), 2, 'down')).toBe('-0.33');
    expect(compareDecimal(decimal('0.1'), decimal('0.10000000000000000001'))).toBe(-1);
    expect(compareDecimal(decimal('-10'), decimal('-9.99'))).toBe(-1);
  });

  it('refuses what the big-number path refuses', () => {
    expect(() => divideDecimal(decimal('1'), decimal('0'))).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(() => floorToIncrement(decimal('1'), decimal('0'))).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(() => addDecimal('1e5' as DecimalString, decimal('1'))).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(addDecimal('007.50' as DecimalString, decimal('1'))).toBe('8.5');
    expect(compareDecimal('1.50' as DecimalString, decimal('1.5'))).toBe(0);
  });
});

describe('decimalFromNumber fast path', () => {
  it('gives what the big-number path gives for any double, increment and rounding mode', () => {
    const Reference = Big();
    Reference.DP = 40;
    Reference.RM = Big.roundHalfEven;
    Reference.NE = -1_000_000;
    Reference.PE = 1_000_000;
    const modes = { down: 0, up: 3, 'half-even': 2 } as const;
    const reference = (value: number, step: string, rounding: RoundingMode): string => {
      const text = Math.abs(value) < 1e-20 ? '0' : value.toFixed(20);
      const fixed = new Reference(text).div(step).round(0, modes[rounding]).times(step).toFixed();
      return fixed === '-0' ? '0' : fixed;
    };
    const increment = fc.constantFrom('0.00000001', '0.001', '0.01', '1', '0.5', '0.03', '25', '0.000000000000000001').map(decimal);
    const value = fc.oneof(fc.double({ min: -1e15, max: 1e15, noNaN: true, noDefaultInfinity: true }), fc.double({ min: -10, max: 10, noNaN: true }), fc.integer({ min: -1e6, max: 1e6 }).map((units) => units / 100));
    fc.assert(
      fc.property(value, increment, fc.constantFrom<RoundingMode>('down', 'up', 'half-even'), (number, step, rounding) => {
        expect(decimalFromNumber(number, step, rounding)).toBe(reference(number, step, rounding));
      }),
      { numRuns: 5000 },
    );
    expect(decimalFromNumber(0.29, decimal('0.01'))).toBe('0.28'); // 0.29 is 0.28999999999999998002 as a double
    expect(decimalFromNumber(102.01, decimal('0.01'), 'half-even')).toBe('102.01');
    expect(() => decimalFromNumber(1e21, decimal('1'))).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});

describe('positive decimals', () => {
  it('are exactly those greater than zero (property)', () => {
    fc.assert(
      fc.property(decimalText, (value) => {
        expect(isPositiveDecimal(value)).toBe(compareDecimal(value, decimal('0')) > 0);
        expect(PositiveDecimalSchema.safeParse(value).success).toBe(compareDecimal(value, decimal('0')) > 0);
      }),
    );
    for (const text of ['0', '0.000', '-0', '-5', '00.0']) expect(PositiveDecimalSchema.safeParse(text).success, text).toBe(false);
    expect(PositiveDecimalSchema.parse('0100.50')).toBe('100.5');
  });
});
