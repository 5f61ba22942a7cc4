import { LlmValidationSchema, TradepipeError } from '@tradepipe/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOllamaTradeValidator } from './ollama-validator.js';
import { startFakeOllama } from './testing.js';
import type { FakeOllama, FakeOllamaStep } from './testing.js';
import { RISK_FLAGS } from './verdict.js';
import { makeClock, makeContext, makeInput } from './test-helpers.js';

let ollama: FakeOllama;
beforeAll(async () => {
  ollama = await startFakeOllama();
});
afterAll(async () => ollama.close());

const verdictLike = fc.record(
  {
    decision: fc.oneof(fc.constantFrom('APPROVE', 'REJECT', 'approve', 'MAYBE'), fc.string()),
    reasons: fc.oneof(fc.array(fc.string(), { maxLength: 12 }), fc.string()),
    confidence: fc.oneof(fc.double({ min: -1, max: 2, noNaN: true }), fc.constant('high')),
    riskFlags: fc.array(fc.oneof(fc.constantFrom(...RISK_FLAGS), fc.string()), { maxLength: 4 }),
  },
  { requiredKeys: [] },
);

const content = fc.oneof(fc.string(), fc.json(), verdictLike.map((value) => JSON.stringify(value)));

const chatEnvelope = fc
  .record({
    content,
    done: fc.boolean(),
    doneReason: fc.constantFrom('stop', 'length', 'load', undefined),
    evalCount: fc.oneof(fc.nat(), fc.constant(-1)),
  })
  .map(({ content: text, done, doneReason, evalCount }) =>
    JSON.stringify({ model: 'llama3.2', created_at: '2026-01-01T00:00:00.000000Z', message: { role: 'assistant', content: text }, done, done_reason: doneReason, eval_count: evalCount }),
  );

const body = fc.oneof(chatEnvelope, fc.string(), fc.json(), fc.uint8Array({ maxLength: 300 }));

const step: fc.Arbitrary<FakeOllamaStep> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ body, status: fc.constantFrom(200, 200, 200, 201, 400, 404, 418, 500, 503), contentType: fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/x-ndjson') }).map((raw) => ({ kind: 'raw' as const, ...raw })) },
  { weight: 1, arbitrary: fc.constantFrom<FakeOllamaStep>({ kind: 'drop' }, { kind: 'drop', afterHeaders: true }, { kind: 'truncated' }, { kind: 'model_not_found' }) },
);

describe('whatever the server answers', () => {
  it('the stage returns a valid record or throws retryable llm_unavailable, and approves only a well-formed APPROVE', async () => {
    const validator = createOllamaTradeValidator({ host: ollama.url, model: 'llama3.2', timeoutMs: 2_000, cacheSize: 0 });
    let runIndex = 0;
    // Fixed seed so a failure replays; change it to explore.
    await fc.assert(
      fc.asyncProperty(step, async (scripted) => {
        runIndex += 1;
        ollama.script(scripted);
        let record;
        try {
          record = await validator.validate(makeInput(`property-${runIndex}`), makeContext({ clock: makeClock() }));
        } catch (error) {
          expect(error).toBeInstanceOf(TradepipeError);
          expect((error as TradepipeError).code).toBe('llm_unavailable');
          expect((error as TradepipeError).retryable).toBe(true);
          return;
        }
        expect(LlmValidationSchema.safeParse(record).success).toBe(true);
        if (record.decision === 'APPROVE') {
          expect(record.failure).toBeUndefined();
          const answer = JSON.parse(record.rawResponse ?? '') as { message: { content: string }; done: boolean; done_reason?: string };
          expect(answer.done).toBe(true);
          expect(answer.done_reason).not.toBe('length');
          expect((JSON.parse(answer.message.content) as { decision: string }).decision).toBe('APPROVE');
        }
      }),
      { numRuns: 200, seed: 20261124 },
    );
  });
});
