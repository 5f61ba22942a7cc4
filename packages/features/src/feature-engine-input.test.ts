import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CANDLE_PRICE_RANGE, CANDLE_VOLUME_RANGE, CandleSchema, isTradepipeError, type Candle } from '@tradepipe/core';
import { FeatureEngine } from './feature-engine.js';
import { computeFeatureMatrix } from './feature-matrix.js';
import { WARMUP_CANDLES } from './feature-names.js';
import { candleAt, randomColumns } from './test-support/random-candles.js';

// Issue 13, "nothing computed from garbage": regression tests written before the fix. On the old code
// numeric strings were accepted (wrong features), null volume read as 0, a bigint threw a raw TypeError
// half-way through the kernel, update(null) threw a TypeError, and extreme but valid-looking prices gave
// NaN/∞ features.

const series = { productId: 'BTC-USD', granularity: 'ONE_HOUR' } as const;
const HOUR_MS = 3_600_000;

function caught(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

function warmEngine(): { engine: FeatureEngine; next: Candle } {
  const columns = randomColumns({ length: WARMUP_CANDLES + 1, seed: 13 });
  const engine = new FeatureEngine(series);
  for (let row = 0; row < WARMUP_CANDLES; row++) engine.update(candleAt(columns, row));
  return { engine, next: candleAt(columns, WARMUP_CANDLES) };
}

describe('FeatureEngine with badly typed candles', () => {
  const fields = ['startMs', 'open', 'high', 'low', 'close', 'volume'] as const;
  const wrongValues: readonly [string, (value: number) => unknown][] = [
    ['a numeric string', (value) => String(value)],
    ['null', () => null],
    ['undefined', () => undefined],
    ['a bigint', (value) => BigInt(Math.round(value))],
    ['a boolean', () => true],
    ['a Number object', (value) => new Number(value)],
  ];

  it.each(fields)('refuses a non-number %s with validation_failed naming it, state untouched', (field) => {
    const { engine, next } = warmEngine();
    const before = JSON.stringify(engine.saveState());
    for (const [label, wrong] of wrongValues) {
      const error = caught(() => engine.update({ ...next, [field]: wrong(next[field]) } as unknown as Candle));
      expect(isTradepipeError(error, 'validation_failed'), `${field} as ${label}: ${String(error)}`).toBe(true);
      expect((error as { details: Record<string, unknown> }).details.field, `${field} as ${label}`).toBe(field);
      expect(JSON.stringify(engine.saveState()), `${field} as ${label}`).toBe(before);
    }
    // The good candle still goes through afterwards, as if nothing had happened.
    expect(engine.update(next)?.candleStartMs).toBe(next.startMs);
  });

  it('refuses a candle that is not an object, or has a wrong gapFilled, with validation_failed', () => {
    const { engine, next } = warmEngine();
    const before = JSON.stringify(engine.saveState());
    for (const candle of [null, undefined, 42, 'candle', [next], { ...next, gapFilled: 'no' }, { ...next, productId: 7 }]) {
      const error = caught(() => engine.update(candle as unknown as Candle));
      expect(isTradepipeError(error, 'validation_failed'), String(error)).toBe(true);
    }
    expect(JSON.stringify(engine.saveState())).toBe(before);
  });

  it('refuses non-number columns in the batch function', () => {
    const columns = randomColumns({ length: 10, seed: 2 });
    const broken = { ...columns, close: Array.from(columns.close, (value, index) => (index === 4 ? String(value) : value)) };
    const error = caught(() => computeFeatureMatrix(broken as never, { granularity: 'ONE_HOUR' }));
    expect(isTradepipeError(error, 'validation_failed')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details).toMatchObject({ field: 'close', row: 4 });
  });
});

describe('extreme prices and volumes', () => {
  it('refuses prices and volumes outside the documented range, in the schema and the engine', () => {
    const { engine, next } = warmEngine();
    const before = JSON.stringify(engine.saveState());
    const outside: Partial<Candle>[] = [
      { open: 5e-324, low: 5e-324 },
      { low: CANDLE_PRICE_RANGE.min / 2 },
      { high: CANDLE_PRICE_RANGE.max * 2 },
      { open: 1e200, high: 1e200, close: 1e200 },
      { volume: CANDLE_VOLUME_RANGE.max * 2 },
      { volume: 5e-324 },
      { volume: CANDLE_VOLUME_RANGE.minPositive / 2 },
    ];
    for (const change of outside) {
      const candle = { ...next, ...change };
      expect(CandleSchema.safeParse(candle).success, JSON.stringify(change)).toBe(false);
      const error = caught(() => engine.update(candle));
      expect(isTradepipeError(error, 'validation_failed'), JSON.stringify(change)).toBe(true);
    }
    expect(JSON.stringify(engine.saveState())).toBe(before);
  });

  it('gives finite features for every series of candles the schema accepts (fast-check, seed 1313)', () => {
    const logPrice = fc.double({ min: Math.log(CANDLE_PRICE_RANGE.min), max: Math.log(CANDLE_PRICE_RANGE.max), noNaN: true });
    const volume = fc.oneof(
      fc.constant(0),
      fc.constant(CANDLE_VOLUME_RANGE.minPositive),
      fc.constant(CANDLE_VOLUME_RANGE.max),
      fc.double({ min: Math.log(CANDLE_VOLUME_RANGE.minPositive), max: Math.log(CANDLE_VOLUME_RANGE.max), noNaN: true }).map(Math.exp),
    );
    const candle = fc.record({ prices: fc.array(logPrice, { minLength: 4, maxLength: 4 }), volume, repeat: fc.integer({ min: 1, max: 30 }) });
    fc.assert(
      fc.property(fc.array(candle, { minLength: 20, maxLength: 60 }), (blocks) => {
        const engine = new FeatureEngine(series);
        let startMs = 0;
        let candles = 0;
        for (let block = 0; candles < WARMUP_CANDLES + 150; block = (block + 1) % blocks.length) {
          const { prices, volume: blockVolume, repeat } = blocks[block]!;
          const sorted = prices.map((value) => Math.min(CANDLE_PRICE_RANGE.max, Math.max(CANDLE_PRICE_RANGE.min, Math.exp(value)))).sort((a, b) => a - b);
          for (let copy = 0; copy < repeat; copy++, candles++, startMs += HOUR_MS) {
            const value = { ...series, startMs, low: sorted[0]!, open: sorted[1 + (copy % 2)]!, close: sorted[2 - (copy % 2)]!, high: sorted[3]!, volume: blockVolume, gapFilled: false };
            const parsed = CandleSchema.parse(value);
            const vector = engine.update(parsed);
            if (vector !== undefined && !vector.values.every(Number.isFinite)) {
              throw new Error(`non-finite feature at candle ${candles}: ${JSON.stringify(vector.values)}`);
            }
          }
        }
        return true;
      }),
      { seed: 1313, numRuns: 60, endOnFailure: true },
    );
  });
});
