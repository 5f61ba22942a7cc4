import { describe, expect, it } from 'vitest';
import { isTradepipeError } from './errors.js';
import { sequenceCandle, sequenceCandles } from './gap-policy.js';
import { testCandle } from './testing/fixtures.js';

describe('gap policy', () => {
  it('fills a gap with the close carried forward and zero volume, marked', () => {
    const result = sequenceCandles([testCandle({ index: 0, close: 100 }), testCandle({ index: 3, close: 110 })]);
    expect(result.map((candle) => [candle.startMs - result[0]!.startMs, candle.close, candle.volume, candle.gapFilled])).toEqual([
      [0, 100, 10, false],
      [3_600_000, 100, 0, true],
      [7_200_000, 100, 0, true],
      [10_800_000, 110, 10, false],
    ]);
  });

  it('drops exact duplicates and refuses changed or older candles', () => {
    const first = testCandle({ index: 2 });
    expect(sequenceCandle(first, { ...first }).kind).toBe('duplicate');
    const codeOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return isTradepipeError(error) ? error.code : 'other';
      }
      return undefined;
    };
    expect(codeOf(() => sequenceCandle(first, { ...first, close: first.close + 0.1 }))).toBe('candle_out_of_order');
    expect(codeOf(() => sequenceCandle(first, testCandle({ index: 1 })))).toBe('candle_out_of_order');
    expect(codeOf(() => sequenceCandle(first, testCandle({ index: 5 }), { mode: 'reject', maxFilledCandles: 10 }))).toBe('candle_gap');
    expect(codeOf(() => sequenceCandle(first, testCandle({ index: 50 }), { mode: 'fill', maxFilledCandles: 10 }))).toBe('candle_gap');
  });
});
