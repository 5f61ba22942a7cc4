import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCandleCsv } from './candle-csv.js';
import { isTradepipeError } from './errors.js';

const HEADER = 'start,open,high,low,close,volume';

/** The error of parsing one data row (after the header), or the candle. */
function parseRow(row: string): { readonly code: string; readonly message: string; readonly details: Readonly<Record<string, unknown>> } | { readonly close: number; readonly volume: number } {
  try {
    const [candle] = parseCandleCsv({ text: `${HEADER}\n${row}\n`, productId: 'BTC-USD', granularity: 'ONE_DAY' });
    return { close: candle!.close, volume: candle!.volume };
  } catch (error) {
    if (!isTradepipeError(error)) throw error;
    return { code: error.code, message: error.message, details: error.details };
  }
}

describe('parseCandleCsv', () => {
  it('finds columns by name in any order and sorts by start', () => {
    const text = 'timestamp,open,close,volume,unix_timestamp,high,low\n2011-08-19 00:00:00,10.9,11.69,1.9,1313712000,11.85,10.9\n2011-08-18 00:00:00,10.9,10.9,0.49,1313625600,10.9,10.9\n';
    const candles = parseCandleCsv({ text, productId: 'BTC-USD', granularity: 'ONE_DAY' });
    expect(candles.map((candle) => [candle.startMs, candle.open, candle.high, candle.low, candle.close, candle.volume])).toEqual([
      [1_313_625_600_000, 10.9, 10.9, 10.9, 10.9, 0.49],
      [1_313_712_000_000, 10.9, 11.85, 10.9, 11.69, 1.9],
    ]);
  });

  it('names the bad line and the missing column', () => {
    const codeAndMessage = (text: string) => {
      try {
        parseCandleCsv({ text, productId: 'BTC-USD', granularity: 'ONE_DAY' });
      } catch (error) {
        return isTradepipeError(error, 'validation_failed') ? error.message : 'other';
      }
      return 'parsed';
    };
    expect(codeAndMessage('start,open,high,low,close,volume\n86400,1,2,0.5,1,3\n86400,1,0.5,2,1,3\n')).toMatch(/line 3/);
    expect(codeAndMessage('start,open,high,low,close\n86400,1,2,0.5,1\n')).toBe('The candle CSV lacks a column');
    expect(codeAndMessage('start,open,high,low,close,volume\n86400,1,2,,1,3\n')).toMatch(/line 2/);
  });

  // Issue 13: `Number()` reads `0x64` as 100; a CSV cell is read as a plain decimal number or refused.
  it.each([
    ['hex', '0x64'],
    ['binary', '0b1100100'],
    ['octal', '0o144'],
    ['Infinity', 'Infinity'],
    ['-Infinity', '-Infinity'],
    ['NaN', 'NaN'],
    ['a numeric separator', '1_000'],
    ['an empty field', ''],
    ['a whitespace-only field', '   '],
    ['two numbers', '1 2'],
    ['a quoted number', '"100"'],
  ])('refuses %s with validation_failed naming the line and column', (_, cell) => {
    expect(parseRow(`86400,100,200,50,${cell},3`)).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/line 2.*close/), details: { line: 2, column: 'close' } });
  });

  it('refuses a start at or after 2100 (epoch milliseconds under a seconds header), naming the line', () => {
    // 2024-09-25 as epoch ms read as seconds: the year 56,000, and 999 made-up candles between two days.
    expect(parseRow('1727222400000,100,200,50,100,3')).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/line 2.*2100.*milliseconds read as seconds/), details: { firstPath: 'startMs' } });
    expect(parseRow(`${Date.UTC(2099, 11, 31) / 1000},100,200,50,100,3`)).toMatchObject({ close: 100 });
  });

  it('refuses a non-decimal start time too', () => {
    expect(parseRow('0x15180,100,200,50,100,3')).toMatchObject({ code: 'validation_failed', details: { line: 2, column: 'start' } });
  });

  it('reads plain decimals: signs, fractions, exponents and spaces around the number', () => {
    expect(parseRow('86400, 100.5 ,200,50,+1.005e2,2.5E-7')).toEqual({ close: 100.5, volume: 2.5e-7 });
    expect(parseRow('86400,100,1000,50,.5e3,7.')).toEqual({ close: 500, volume: 7 });
  });

  it('parses a cell only when it is a plain decimal number (fast-check, seed 20261125)', () => {
    const decimalText = fc
      .tuple(fc.constantFrom('', '+'), fc.integer({ min: 1, max: 10_000 }), fc.option(fc.nat({ max: 9_999 })), fc.option(fc.integer({ min: -3, max: 3 })))
      .map(([sign, whole, fraction, exponent]) => `${sign}${whole}${fraction === null ? '' : `.${fraction}`}${exponent === null ? '' : `e${exponent}`}`);
    fc.assert(
      fc.property(decimalText, (text) => {
        const parsed = parseRow(`86400,${text},1e9,1e-9,${text},1`);
        expect(parsed).toEqual({ close: Number(text), volume: 1 });
      }),
      { seed: 20261125, numRuns: 300 },
    );
    // Any cell that is not a plain decimal is refused, whatever `Number()` makes of it.
    const plain = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;
    const anyCell = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefxobABCDEFXOB+-._ eEInfityNa'.split('')), maxLength: 12 }),
      fc.constantFrom('0x1F', '0B11', '0O17', '1__0', 'Infinity', ' ', '\t', '1e', 'e5', '+-1', '..5'),
    );
    fc.assert(
      fc.property(anyCell, (cell) => {
        const parsed = parseRow(`86400,100,1e9,1e-9,${cell},1`);
        if (plain.test(cell)) expect(parsed).not.toMatchObject({ code: 'validation_failed', details: { column: 'close' } });
        else expect(parsed).toMatchObject({ code: 'validation_failed', details: { line: 2, column: 'close' } });
      }),
      { seed: 20261125, numRuns: 500 },
    );
  });
});
