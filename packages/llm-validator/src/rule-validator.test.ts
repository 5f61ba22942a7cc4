import { LlmValidationSchema, decimal, recordId } from '@tradepipe/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RULE_SET_VERSION, createRuleValidator } from './rule-validator.js';
import { makeCandles, makeClock, makeContext, makeInput } from './test-helpers.js';

const context = () => makeContext({ clock: makeClock() });

describe('createRuleValidator', () => {
  it('approves a confident BUY in an uptrend with normal volatility, listing every rule', async () => {
    const input = makeInput('rules-ok');
    const record = await createRuleValidator().validate(input, context());
    expect(LlmValidationSchema.parse(record)).toEqual(record);
    expect(record).toMatchObject({ id: recordId('validation', [input.recommendation.id, 'rules']), decision: 'APPROVE', riskFlags: [], promptVersion: RULE_SET_VERSION });
    expect(record.reasons.every((reason) => reason.startsWith('pass:'))).toBe(true);
  });

  it('rejects low confidence', async () => {
    const input = makeInput('low', { origin: { type: 'signal', signalId: 'sig_test', confidence: 0.4 } });
    const record = await createRuleValidator().validate(input, context());
    expect(record.decision).toBe('REJECT');
    expect(record.riskFlags).toEqual(['low_model_confidence']);
  });

  it('rejects a BUY against a downtrend and a SELL against an uptrend', async () => {
    const down = { ...makeInput('down'), recentCandles: makeCandles(30, { driftPct: -0.3 }) };
    expect((await createRuleValidator().validate(down, context())).riskFlags).toEqual(['trend_disagreement']);
    const sell = makeInput('sell', { side: 'SELL', intent: 'reduce', baseSize: decimal('0.5') });
    expect((await createRuleValidator().validate(sell, context())).riskFlags).toEqual(['trend_disagreement']);
  });

  it('rejects extreme volatility, gaps, too few candles and stale candles', async () => {
    const wild = { ...makeInput('wild'), recentCandles: makeCandles(30, { driftPct: 0.5, wobblePct: 8 }) };
    expect((await createRuleValidator().validate(wild, context())).riskFlags).toContain('extreme_volatility');
    const gappy = { ...makeInput('gaps'), recentCandles: makeCandles(30).map((candle, index) => ({ ...candle, gapFilled: index > 26 })) };
    expect((await createRuleValidator().validate(gappy, context())).riskFlags).toEqual(['data_gap']);
    const short = { ...makeInput('short'), recentCandles: makeCandles(5) };
    expect((await createRuleValidator().validate(short, context())).riskFlags).toEqual(['insufficient_data']);
    const stale = { ...makeInput('stale'), recentCandles: makeCandles(30, { endStartMs: makeInput().recommendation.candleStartMs - 7_200_000 }) };
    expect((await createRuleValidator().validate(stale, context())).riskFlags).toEqual(['stale_data']);
  });

  it('approves exits, and returns expired without evaluating once the time-to-live is over', async () => {
    const exit = makeInput('exit', { side: 'SELL', intent: 'reduce', baseSize: decimal('1'), origin: { type: 'exit', rule: 'stop_loss' } });
    expect((await createRuleValidator().validate(exit, context())).decision).toBe('APPROVE');
    const clock = makeClock();
    const input = makeInput('expired');
    clock.set(input.recommendation.expiresAtMs);
    const record = await createRuleValidator().validate(input, makeContext({ clock }));
    expect(record.failure?.kind).toBe('expired');
  });

  it('is deterministic and approves only when every rule passes (property, seed 7)', async () => {
    const validator = createRuleValidator({ minConfidence: 0.5 });
    await fc.assert(
      fc.asyncProperty(fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), async (driftPct, wobblePct, confidence) => {
        const input = { ...makeInput('p', { origin: { type: 'signal', signalId: 's', confidence } }), recentCandles: makeCandles(30, { driftPct, wobblePct }) };
        const first = await validator.validate(input, context());
        expect(await validator.validate(input, context())).toEqual(first);
        expect(first.decision === 'APPROVE').toBe(first.riskFlags.length === 0);
        if (confidence < 0.5) expect(first.decision).toBe('REJECT');
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
