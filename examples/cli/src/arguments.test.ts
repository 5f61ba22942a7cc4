import { describe, expect, it } from 'vitest';
import { durationOption, formatDuration, numberOption } from './arguments.js';
import { UsageError } from './cli-errors.js';

describe('numberOption', () => {
  const read = (text: string, range: Parameters<typeof numberOption>[2] = {}) => numberOption({ 'starting-usd': text }, 'starting-usd', range);

  it('reads plain decimal numbers', () => {
    expect(read('1000')).toBe(1000);
    expect(read('0.55')).toBe(0.55);
    expect(read('-0.02')).toBe(-0.02);
    expect(read('.5')).toBe(0.5);
    expect(read('007')).toBe(7);
    expect(read('5.0', { integer: true })).toBe(5);
    expect(numberOption({}, 'starting-usd')).toBeUndefined();
  });

  it('refuses hex, exponents, Infinity, signs, separators and spaces with a usage error naming the option', () => {
    for (const text of ['0x10', '0b11', '0o7', '1e21', '1e3', '1E3', 'Infinity', '-Infinity', 'NaN', '+5', '1_000', '1,000', ' 5', '5 ', '', '5.', '-', '.']) {
      expect(() => read(text), text).toThrow(UsageError);
      expect(() => read(text), text).toThrow(`--starting-usd must be a plain decimal number, not '${text}'`);
    }
    expect(() => read('0x10', { min: 1, max: 1e12 })).toThrow("--starting-usd must be a plain decimal number ≥ 1 and ≤ 1000000000000, not '0x10'");
    expect(() => read('1e3', { integer: true, min: 1 })).toThrow("--starting-usd must be an integer ≥ 1, not '1e3'");
  });

  it('takes an exponent only where the option allows one', () => {
    expect(read('1e-9', { exponent: true, min: 0 })).toBe(1e-9);
    expect(read('2.5E-12', { exponent: true })).toBe(2.5e-12);
    expect(() => read('0x10', { exponent: true })).toThrow("--starting-usd must be a decimal number (an exponent such as 1e-9 allowed), not '0x10'");
    expect(() => read('1e999', { exponent: true })).toThrow(UsageError);
  });
});

describe('durationOption', () => {
  it('reads a whole number with a unit, or plain milliseconds', () => {
    const read = (text: string) => durationOption({ horizon: text }, 'horizon');
    expect(read('5d')).toBe(5 * 86_400_000);
    expect(read('24h')).toBe(86_400_000);
    expect(read('90m')).toBe(5_400_000);
    expect(read('30s')).toBe(30_000);
    expect(read('2w')).toBe(14 * 86_400_000);
    expect(read('250ms')).toBe(250);
    expect(read('86400000')).toBe(86_400_000);
    expect(durationOption({}, 'horizon')).toBeUndefined();
  });

  it('refuses fractions, negatives, zero, unknown units and words with a usage error naming the option', () => {
    for (const text of ['1.5d', '-5d', '0', '0d', '5 days', '5y', 'd', '', 'five']) {
      expect(() => durationOption({ horizon: text }, 'horizon'), text).toThrow(UsageError);
      expect(() => durationOption({ horizon: text }, 'horizon'), text).toThrow(/^--horizon must be a duration/);
    }
  });
});

describe('formatDuration', () => {
  it('prints the largest unit that divides the duration', () => {
    expect(formatDuration(5 * 86_400_000)).toBe('5d');
    expect(formatDuration(36 * 3_600_000)).toBe('36h');
    expect(formatDuration(5_400_000)).toBe('90m');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(1_250)).toBe('1250ms');
  });
});
