import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseWith } from './parse.js';
import { RECORD_GUARDS } from './record-guards.js';
import { FillSchema, OrderSchema } from './records/execution.js';
import { CandleSchema, FeatureVectorSchema } from './records/market.js';
import { ExposureReservationSchema, RiskApprovalSchema, RiskAssessmentSchema } from './records/risk.js';
import { LlmValidationSchema, SignalSchema, TradeRecommendationSchema } from './records/trading.js';
import { testApproval, testAssessment, testCandle, testFill, testOrderIntent, testRecommendation, testSignal } from './testing/fixtures.js';

const buy = testRecommendation();
const sell = testRecommendation({ side: 'SELL', index: 1 });
const { approval: buyApproval, reservation } = testApproval(buy);
const { approval: sellApproval } = testApproval(sell);
const order = testOrderIntent(buyApproval, buy.createdAtMs);
const validation = {
  id: 'validation-1',
  recommendationId: buy.id,
  validator: 'llm',
  decision: 'APPROVE',
  reasons: ['trend agrees'],
  confidence: 0.8,
  riskFlags: ['thin_book'],
  failure: { kind: 'truncated', message: 'cut short' },
  model: 'm',
  promptVersion: 'p1',
  rawResponse: '{}',
  promptTokens: 10,
  completionTokens: 5,
  latencyMs: 12.5,
  validatedAtMs: buy.createdAtMs,
};

/** Valid samples of every guarded schema: optional fields present and absent, both sides. */
const SAMPLES: readonly (readonly [string, z.ZodType, Record<string, unknown>])[] = [
  ['candle', CandleSchema, { ...testCandle(), gapFilled: false }],
  ['gap-filled candle', CandleSchema, { ...testCandle({ index: 3 }), volume: 0, gapFilled: true }],
  ['daily candle', CandleSchema, { ...testCandle(), granularity: 'ONE_DAY', startMs: 86_400_000 * 20_000, volume: 1e18, gapFilled: false }],
  ['signal', SignalSchema, testSignal()],
  ['signal with probabilities', SignalSchema, testSignal({ action: 'SELL', probabilities: { BUY: 0.1, SELL: 0.7, HOLD: 0.2 } })],
  ['feature vector', FeatureVectorSchema, testSignal().features],
  ['BUY recommendation', TradeRecommendationSchema, buy],
  ['SELL recommendation', TradeRecommendationSchema, sell],
  ['exit recommendation', TradeRecommendationSchema, { ...sell, origin: { type: 'exit', rule: 'stop_loss', detail: 'hit' } }],
  ['validation', LlmValidationSchema, validation],
  ['bare validation', LlmValidationSchema, { id: 'v', recommendationId: buy.id, validator: 'llm', decision: 'REJECT', reasons: [], riskFlags: [], validatedAtMs: 0 }],
  ['assessment', RiskAssessmentSchema, testAssessment(buy, { figures: { atr: 1.5, heat: 0 } })],
  ['SELL assessment', RiskAssessmentSchema, testAssessment(sell)],
  ['BUY approval', RiskApprovalSchema, buyApproval],
  ['SELL approval', RiskApprovalSchema, sellApproval],
  ['reservation', ExposureReservationSchema, reservation],
  ['order intent', OrderSchema, order],
  ['filled order', OrderSchema, { ...order, status: 'EXECUTED', exchangeOrderId: 'x-1', averageFillPrice: '50000.5', statusReason: 'done', submittedAtMs: 1, completedAtMs: 2, limitPrice: '1' }],
  ['fill', FillSchema, testFill(order)],
];

/** Values a mutated field takes: valid and invalid, canonical and not. */
const ODD_VALUES: readonly unknown[] = [
  undefined, null, true, 0, -0, -1, 0.5, 1, 1.5, 2, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, -1e-9, 1e12,
  '', 'x', 'x'.repeat(129), 'x'.repeat(2001), '0', '-0', '1.50', '01', '-1', '1e3', '0.001', 'BTC-USD', 'btc-usd', 'BUY', 'SELL',
  'HOLD', 'APPROVE', 'EXECUTED', 'paper', 'TAKER', 'ONE_HOUR', 'signal', 'exit', 'open', 'HMAC-SHA256', 'approved',
  [], [1], ['a'], [Number.NaN], {}, { type: 'signal' }, Object.freeze([0.5]),
];

/** What `parseWith` gives (value or error message) and what the schema alone gives, for comparison. */
function both(schema: z.ZodType, input: unknown): { guarded: unknown; schema: unknown; checked: boolean } {
  const reference = schema.safeParse(input);
  let guarded: unknown;
  try {
    guarded = { ok: parseWith(schema, input, 'record') };
  } catch (error) {
    guarded = { error: (error as Error).message };
  }
  const expected = reference.success ? { ok: reference.data } : { error: 'x' };
  const checked = RECORD_GUARDS.get(schema)!(input) !== undefined;
  return { guarded: normalise(guarded, reference.success), schema: normalise(expected, reference.success), checked };
}

/** Values with their key order and frozen arrays made visible (toEqual ignores both). */
function normalise(result: unknown, success: boolean): unknown {
  if (!success) return 'refused';
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return { frozen: Object.isFrozen(value), items: value.map(visit) };
    if (typeof value === 'object' && value !== null) return Object.entries(value).map(([key, item]) => [key, visit(item)]);
    return Object.is(value, -0) ? '-0' : value;
  };
  return visit(result);
}

/** Sets `path` in a deep copy of `record` (deleting it when `remove`). */
function mutate(record: Record<string, unknown>, path: readonly string[], value: unknown, remove: boolean): Record<string, unknown> {
  const copy = structuredClone(record);
  let target: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    if (typeof next !== 'object' || next === null) return copy;
    target = next as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (remove) delete target[last];
  else target[last] = value;
  return copy;
}

/** Every path to a field of a record (nested objects and array items included). */
function pathsOf(value: unknown, prefix: readonly string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => [[...prefix, key], ...pathsOf(item, [...prefix, key])]);
}

describe('record guards', () => {
  it.each(SAMPLES)('take a valid %s unchanged, exactly as its schema does', (_name, schema, record) => {
    const result = both(schema, record);
    expect(result.checked).toBe(true);
    expect(result.guarded).toEqual(result.schema);
    const parsed = parseWith(schema, record, 'record');
    expect(parsed).not.toBe(record); // a fresh copy, as the schema gives
  });

  it('give the schema’s answer for any one field changed, removed or added (valid or not)', () => {
    const cases = fc.tuple(fc.constantFrom(...SAMPLES), fc.nat(), fc.constantFrom(...ODD_VALUES), fc.boolean(), fc.boolean());
    fc.assert(
      fc.property(cases, ([[, schema, record], pathIndex, value, remove, extra]) => {
        const paths = pathsOf(record);
        const path = extra ? ['unexpected'] : paths[pathIndex % paths.length]!;
        const input = mutate(record, path, value, remove);
        const result = both(schema, input);
        expect(result.guarded).toEqual(result.schema);
      }),
      { numRuns: 20_000 },
    );
  });

  it('leave inputs they do not take to the schema: class instances, explicit undefined, missing defaults', () => {
    class Carrier {
      constructor(readonly fields: Record<string, unknown>) {
        Object.assign(this, fields);
      }
    }
    const { riskFlags: _riskFlags, ...withoutFlags } = validation;
    const { figures: _figures, ...withoutFigures } = testAssessment(buy);
    for (const [schema, input] of [
      [OrderSchema, new Carrier(order)],
      [OrderSchema, { ...order, statusReason: undefined }],
      [LlmValidationSchema, withoutFlags],
      [RiskAssessmentSchema, withoutFigures],
      [OrderSchema, { ...order, filledBaseSize: '0.0' }],
    ] as const) {
      expect(RECORD_GUARDS.get(schema)!(input)).toBeUndefined();
      expect(both(schema, input).guarded).toEqual(both(schema, input).schema);
    }
  });
});
