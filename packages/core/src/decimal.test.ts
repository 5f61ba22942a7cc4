import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDecimal, compareDecimal, decimal, decimalFromNumber, divideDecimal, floorToIncrement, multiplyDecimal, subtractDecimal } from './decimal.js';

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
