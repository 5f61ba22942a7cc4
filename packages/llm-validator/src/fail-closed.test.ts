import { LlmValidationSchema, recordId } from '@tradepipe/core';
import { describe, expect, it } from 'vitest';
import { failClosedValidation } from './fail-closed.js';
import { makeRecommendation } from './test-helpers.js';

describe('failClosedValidation', () => {
  it('builds a valid REJECT with the failure and the validation id', () => {
    const recommendation = makeRecommendation('fc');
    const record = failClosedValidation(recommendation, 'ollama', 'retries_exhausted', 'unreachable after 5 attempts', 1_000, { rawResponse: 'x'.repeat(70_000) });
    expect(LlmValidationSchema.parse(record)).toEqual(record);
    expect(record).toMatchObject({ id: recordId('validation', [recommendation.id, 'ollama']), decision: 'REJECT', failure: { kind: 'retries_exhausted' } });
    expect(record.rawResponse?.length).toBe(65_536);
  });
});
