import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecimalStringSchema } from '../decimal.js';
import { CANDLE_PRICE_RANGE, CANDLE_VOLUME_RANGE, CandleSchema, ProductSchema } from './market.js';
import { OrderStatusSchema, canTransitionOrder } from './execution.js';
import { SignalActionSchema, TradeRecommendationSchema } from './trading.js';
import { testCandle, testProduct, testRecommendation } from '../testing/fixtures.js';

// fast-check seed fixed so a failure reproduces: fc.configureGlobal below.
fc.configureGlobal({ seed: 20261125, numRuns: 300 });

const validCandle = fc
  .record({
    low: fc.double({ min: 0.01, max: 1e6, noNaN: true }),
    spread: fc.double({ min: 0, max: 1e3, noNaN: true }),
    openAt: fc.double({ min: 0, max: 1, noNaN: true }),
    closeAt: fc.double({ min: 0, max: 1, noNaN: true }),
    volume: fc.oneof(fc.constant(0), fc.double({ min: 1e-12, max: 1e9, noNaN: true })),
    index: fc.integer({ min: 0, max: 100_000 }),
  })
  .map(({ low, spread, openAt, closeAt, volume, index }) => {
    const high = low + spread;
    return testCandle({ index, low, high, open: low + spread * openAt, close: low + spread * closeAt, volume });
  });

describe('CandleSchema', () => {
  it('accepts every well-formed candle', () => {
    fc.assert(fc.property(validCandle, (candle) => CandleSchema.safeParse(candle).success));
  });

  it('rejects NaN or infinite values in any field', () => {
    const bad = fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
    const field = fc.constantFrom('open', 'high', 'low', 'close', 'volume');
    fc.assert(fc.property(validCandle, field, bad, (candle, name, value) => !CandleSchema.safeParse({ ...candle, [name]: value }).success));
  });

  it('rejects negative volume, non-positive prices and high below low', () => {
    fc.assert(
      fc.property(validCandle, fc.double({ min: -1e6, max: -1e-9, noNaN: true }), (candle, negative) => {
        return (
          !CandleSchema.safeParse({ ...candle, volume: negative }).success &&
          !CandleSchema.safeParse({ ...candle, low: 0 }).success &&
          !CandleSchema.safeParse({ ...candle, high: candle.low / 2 }).success
        );
      }),
    );
  });

  it('enforces the documented price and volume range (1e-12 … 1e12; 0 or 1e-12 … 1e18)', () => {
    const candle = testCandle();
    const flat = (value: number) => ({ ...candle, open: value, high: value, low: value, close: value });
    for (const value of [CANDLE_PRICE_RANGE.min, 1, CANDLE_PRICE_RANGE.max]) expect(CandleSchema.safeParse(flat(value)).success, String(value)).toBe(true);
    for (const value of [5e-324, CANDLE_PRICE_RANGE.min / 2, CANDLE_PRICE_RANGE.max * 2, 1e200]) expect(CandleSchema.safeParse(flat(value)).success, String(value)).toBe(false);
    for (const volume of [0, CANDLE_VOLUME_RANGE.minPositive, CANDLE_VOLUME_RANGE.max]) expect(CandleSchema.safeParse({ ...candle, volume }).success, String(volume)).toBe(true);
    for (const volume of [5e-324, CANDLE_VOLUME_RANGE.minPositive / 2, CANDLE_VOLUME_RANGE.max * 2, -0.5]) expect(CandleSchema.safeParse({ ...candle, volume }).success, String(volume)).toBe(false);
    expect(CandleSchema.safeParse({ ...candle, close: String(candle.close) }).success).toBe(false);
  });

  it('rejects a start that is not aligned to the granularity', () => {
    expect(CandleSchema.safeParse({ ...testCandle(), startMs: testCandle().startMs + 1 }).success).toBe(false);
  });
});

describe('DecimalStringSchema', () => {
  it('rejects exponents, floats as numbers and garbage', () => {
    for (const value of ['1e-8', '1E5', '.5', '5.', '0x10', '', ' 1', 'NaN', 'Infinity']) {
      expect(DecimalStringSchema.safeParse(value).success, value).toBe(false);
    }
    expect(DecimalStringSchema.safeParse(0.5).success).toBe(false);
  });

  it('accepts fixed-point text and canonicalises it', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.nat({ max: 18 }), (units, scale) => {
        const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, '0');
        const text = `${units < 0n ? '-' : ''}${scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`}`;
        const parsed = DecimalStringSchema.parse(text);
        return DecimalStringSchema.parse(parsed) === parsed && !/e/i.test(parsed);
      }),
    );
  });
});

describe('enums and records', () => {
  it('rejects unknown enum values', () => {
    expect(SignalActionSchema.safeParse('STRONG_BUY').success).toBe(false);
    expect(OrderStatusSchema.safeParse('FILLED').success).toBe(false);
    expect(ProductSchema.safeParse({ ...testProduct(), status: 'paused' }).success).toBe(false);
    expect(TradeRecommendationSchema.safeParse({ ...testRecommendation(), side: 'SHORT' }).success).toBe(false);
  });

  it('needs a base size on a SELL recommendation', () => {
    const { baseSize: _baseSize, ...sell } = testRecommendation({ side: 'SELL' });
    expect(TradeRecommendationSchema.safeParse(sell).success).toBe(false);
  });

  it('lets terminal orders go nowhere and keeps UNKNOWN reconcilable', () => {
    for (const terminal of ['EXECUTED', 'REJECTED', 'FAILED'] as const) {
      for (const next of OrderStatusSchema.options) expect(canTransitionOrder(terminal, next)).toBe(false);
    }
    expect(canTransitionOrder('UNKNOWN', 'EXECUTED')).toBe(true);
    expect(canTransitionOrder('ACKNOWLEDGED', 'INTENT_RECORDED')).toBe(false);
  });
});
