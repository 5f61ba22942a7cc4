import { describe, expect, it } from 'vitest';
import { parseCandleCsv } from './candle-csv.js';
import { isTradepipeError } from './errors.js';

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
});
