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
