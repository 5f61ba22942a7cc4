import { describe, expect, it } from 'vitest';
import { interpretChatAnswer } from './interpret.js';
import { DEFAULT_BLOCKING_RISK_FLAGS } from './verdict.js';
import { OllamaValidatorOptionsSchema } from './options.js';

const verdict = JSON.stringify({ decision: 'APPROVE', reasons: ['uptrend intact'], confidence: 0.8, riskFlags: [] });
const answer = (fields: Record<string, unknown>) => ({ model: 'llama3.2', created_at: '2026-12-07T00:00:00Z', message: { role: 'assistant', content: verdict }, done: true, ...fields });

describe('interpretChatAnswer', () => {
  it('takes a verdict only from an answer that stopped: load and unload end requests that held none', () => {
    expect(interpretChatAnswer(answer({ done_reason: 'stop' }), DEFAULT_BLOCKING_RISK_FLAGS)).toMatchObject({ kind: 'verdict' });
    expect(interpretChatAnswer(answer({}), DEFAULT_BLOCKING_RISK_FLAGS)).toMatchObject({ kind: 'verdict' });
    expect(interpretChatAnswer(answer({ done_reason: 'length' }), DEFAULT_BLOCKING_RISK_FLAGS)).toMatchObject({ kind: 'failure', failureKind: 'truncated' });
    for (const doneReason of ['unload', 'load', 'weird']) {
      expect(interpretChatAnswer(answer({ done_reason: doneReason }), DEFAULT_BLOCKING_RISK_FLAGS), doneReason).toMatchObject({ kind: 'failure', failureKind: 'schema_mismatch', message: expect.stringContaining(`done_reason "${doneReason}"`) });
    }
  });
});

describe('OllamaValidatorOptionsSchema', () => {
  it('takes an http(s) host only', () => {
    expect(OllamaValidatorOptionsSchema.parse({ model: 'm', host: 'https://ollama.internal:11434' }).host).toBe('https://ollama.internal:11434');
    for (const host of ['file:///etc/passwd', 'javascript:alert(1)', 'ftp://x']) expect(OllamaValidatorOptionsSchema.safeParse({ model: 'm', host }).success, host).toBe(false);
  });
});
