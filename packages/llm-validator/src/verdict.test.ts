import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interpretChatAnswer } from './interpret.js';
import { DEFAULT_BLOCKING_RISK_FLAGS, VerdictSchema, findContradiction, verdictJsonSchema } from './verdict.js';

describe('verdict schema', () => {
  it('generates a strict JSON schema with every key required and the closed flag list', () => {
    const schema = verdictJsonSchema() as { required: string[]; additionalProperties: boolean; properties: { riskFlags: { items: { enum: string[] } } } };
    expect(schema.required).toEqual(['decision', 'reasons', 'confidence', 'riskFlags']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.riskFlags.items.enum).toContain('data_gap');
    expect(verdictJsonSchema()).toBe(verdictJsonSchema());
  });

  it('refuses a reason with no visible text: blank, control or bidi characters only', () => {
    const verdictWith = (reasons: string[]) => VerdictSchema.safeParse({ decision: 'APPROVE', reasons, confidence: 0.9, riskFlags: [] });
    for (const reason of [' ', '\t\n', '\u0000\u202e', '\u0000\u202e ', '\u200b\u2066\u2069\ufeff', '\u2028', '\u00ad\u061c']) {
      const result = verdictWith(['uptrend intact', reason]);
      expect(result.success, JSON.stringify(reason)).toBe(false);
      expect(result.error?.issues[0]).toMatchObject({ path: ['reasons', 1], message: 'a reason must hold visible text' });
    }
  });

  it('records reasons without control or bidi characters, trimmed', () => {
    const verdict = VerdictSchema.parse({ decision: 'APPROVE', reasons: [' ok ', '\u0000\u202e ignore', 'line one\nline two', 'a\u200bb\u202dc'], confidence: 0.9, riskFlags: [] });
    expect(verdict.reasons).toEqual(['ok', 'ignore', 'line one line two', 'abc']);
    expect(VerdictSchema.parse(verdict)).toEqual(verdict);
    // The JSON schema sent as `format` is unchanged by the cleaning.
    const schema = verdictJsonSchema() as { properties: { reasons: { items: unknown } } };
    expect(schema.properties.reasons.items).toEqual({ type: 'string', minLength: 1, maxLength: 500 });
  });

  it('interprets a verdict or an answer that repeats a key as invalid_json, never as its last value', () => {
    const answer = (content: string) => ({ message: { role: 'assistant', content }, done: true, done_reason: 'stop' });
    const repeated = '{"decision":"REJECT","reasons":["bad"],"confidence":0.9,"riskFlags":["extreme_volatility"],"decision":"APPROVE","riskFlags":[]}';
    expect(interpretChatAnswer(answer(repeated), DEFAULT_BLOCKING_RISK_FLAGS)).toMatchObject({
      kind: 'failure',
      failureKind: 'invalid_json',
      message: 'the verdict repeats the key "decision", so it reads two ways',
    });
    const nested = '{"decision":"APPROVE","reasons":["ok"],"confidence":0.9,"riskFlags":[],"x":{"a":1,"a":2}}';
    expect(interpretChatAnswer(answer(nested), DEFAULT_BLOCKING_RISK_FLAGS)).toMatchObject({ kind: 'failure', failureKind: 'invalid_json' });
    const approve = '{"decision":"APPROVE","reasons":["ok"],"confidence":0.9,"riskFlags":[]}';
    expect(interpretChatAnswer(answer(approve), DEFAULT_BLOCKING_RISK_FLAGS).kind).toBe('verdict');
    const rawBody = `{"message":{"role":"assistant","content":${JSON.stringify(approve)}},"done":false,"done":true}`;
    expect(interpretChatAnswer(JSON.parse(rawBody), DEFAULT_BLOCKING_RISK_FLAGS, rawBody)).toMatchObject({
      kind: 'failure',
      failureKind: 'invalid_json',
      message: 'the answer repeats the key "done", so it reads two ways',
    });
  });

  it('finds contradictions only in approvals with blocking flags', () => {
    const verdict = VerdictSchema.parse({ decision: 'APPROVE', reasons: ['x'], confidence: 0.5, riskFlags: ['high_volatility'] });
    expect(findContradiction(verdict, DEFAULT_BLOCKING_RISK_FLAGS)).toBeUndefined();
    expect(findContradiction({ ...verdict, riskFlags: ['stale_data'] }, DEFAULT_BLOCKING_RISK_FLAGS)).toContain('stale_data');
    expect(findContradiction({ ...verdict, decision: 'REJECT', riskFlags: ['stale_data'] }, DEFAULT_BLOCKING_RISK_FLAGS)).toBeUndefined();
  });

  it('interprets any parsed body without throwing and approves only a valid, consistent APPROVE (property, seed 11)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ message: fc.record({ role: fc.constant('assistant'), content: fc.oneof(fc.string(), fc.json()) }), done: fc.boolean(), done_reason: fc.constantFrom('stop', 'length') })), (body) => {
        const result = interpretChatAnswer(body, DEFAULT_BLOCKING_RISK_FLAGS);
        if (result.kind === 'verdict') expect(VerdictSchema.safeParse(result.verdict).success).toBe(true);
      }),
      { numRuns: 500, seed: 11 },
    );
  });
});
