import { describe, expect, it } from 'vitest';
import { durationOption, formatDuration } from './arguments.js';
import { UsageError } from './cli-errors.js';

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
