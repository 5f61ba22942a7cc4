import { LlmValidationSchema, TradepipeError, isRetryableError, recordId } from '@tradepipe/core';
import type { LlmValidation } from '@tradepipe/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OLLAMA_RESPONSE_LIMIT_BYTES } from './capped-body.js';
import { createOllamaTradeValidator } from './ollama-validator.js';
import type { OllamaValidatorOptionsInput } from './options.js';
import { SYSTEM_PROMPT_VERSION } from './prompt.js';
import { startFakeOllama } from './testing.js';
import type { FakeOllama } from './testing.js';
import { verdictJsonSchema } from './verdict.js';
import { makeClock, makeContext, makeInput } from './test-helpers.js';

let ollama: FakeOllama;
beforeAll(async () => {
  ollama = await startFakeOllama({ models: ['llama3.2:latest'] });
});
afterAll(async () => ollama.close());
afterEach(() => ollama.reset());

const validatorFor = (options: Partial<OllamaValidatorOptionsInput> = {}) =>
  createOllamaTradeValidator({ host: ollama.url, model: 'llama3.2', timeoutMs: 5_000, ...options });

async function expectRetryable(promise: Promise<LlmValidation>): Promise<TradepipeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TradepipeError);
  expect((error as TradepipeError).code).toBe('llm_unavailable');
  expect(isRetryableError(error)).toBe(true);
  return error as TradepipeError;
}

function expectRecorded(record: LlmValidation): void {
  expect(LlmValidationSchema.parse(record)).toEqual(record);
}

describe('OllamaTradeValidator over HTTP against the fake', () => {
  it('records a scripted APPROVE with its reasons, model, prompt version, tokens, raw response and latency', async () => {
    ollama.script({ kind: 'approve', reasons: ['uptrend above SMA(20)', 'volatility 0.4% is normal'], confidence: 0.81 });
    const input = makeInput('approve');
    const record = await validatorFor().validate(input, makeContext({ clock: makeClock() }));
    expectRecorded(record);
    expect(record).toMatchObject({
      id: recordId('validation', [input.recommendation.id, 'ollama']),
      recommendationId: input.recommendation.id,
      validator: 'ollama',
      decision: 'APPROVE',
      reasons: ['uptrend above SMA(20)', 'volatility 0.4% is normal'],
      confidence: 0.81,
      riskFlags: [],
      model: 'llama3.2',
      promptVersion: SYSTEM_PROMPT_VERSION,
    });
    expect(record.failure).toBeUndefined();
    expect(record.promptTokens).toBeGreaterThan(0);
    expect(record.completionTokens).toBeGreaterThan(0);
    expect(record.latencyMs).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(record.rawResponse ?? '')).toMatchObject({ done: true, done_reason: 'stop' });
  });

  it('sends /api/chat non-streaming with the verdict JSON schema as format, temperature 0 and a fixed seed', async () => {
    await validatorFor().validate(makeInput('request'), makeContext({ clock: makeClock() }));
    const chat = ollama.requests.find((request) => request.path === '/api/chat');
    expect(chat?.method).toBe('POST');
    const body = chat?.body as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'llama3.2', stream: false, options: { temperature: 0, seed: 42, num_predict: 512 }, keep_alive: '5m' });
    expect(body.format).toEqual(verdictJsonSchema());
    const messages = body.messages as { role: string; content: string }[];
    expect(messages.map((message) => message.role)).toEqual(['system', 'user']);
    // The market hidden by default: an index, no product; revealed on request, with its own prompt version.
    expect(messages[1]?.content).toContain('"prices":"index"');
    expect(messages[1]?.content).not.toContain('BTC-USD');
    expect(chat?.headers['content-type']).toBe('application/json');
    const revealed = await validatorFor({ name: 'revealed', revealMarket: true }).validate(makeInput('request-revealed'), makeContext({ clock: makeClock() }));
    expect(revealed.promptVersion).toBe(`${SYSTEM_PROMPT_VERSION}+market`);
    const revealedChat = ollama.requests.filter((request) => request.path === '/api/chat').at(-1);
    expect((revealedChat?.body as { messages: { content: string }[] }).messages[1]?.content).toContain('"productId":"BTC-USD"');
  });

  it('records a scripted REJECT on its merits, without a failure', async () => {
    ollama.script({ kind: 'reject', reasons: ['trend is down'], riskFlags: ['trend_disagreement'] });
    const record = await validatorFor().validate(makeInput('reject'), makeContext({ clock: makeClock() }));
    expectRecorded(record);
    expect(record).toMatchObject({ decision: 'REJECT', reasons: ['trend is down'], riskFlags: ['trend_disagreement'] });
    expect(record.failure).toBeUndefined();
  });

  const permanent = [
    { name: 'garbage text', step: { kind: 'text', content: 'Sure! I think this trade looks great.' }, kind: 'invalid_json' },
    { name: 'schema-breaking JSON', step: { kind: 'schema_breaking' }, kind: 'schema_mismatch' },
    { name: 'a truncated answer (done_reason length)', step: { kind: 'truncated' }, kind: 'truncated' },
    { name: '404 model not found', step: { kind: 'model_not_found' }, kind: 'model_not_found' },
    { name: 'a 200 body that is not JSON', step: { kind: 'raw', body: '<html>proxy error</html>', contentType: 'text/html' }, kind: 'invalid_json' },
    { name: 'a 200 JSON body that is not a chat response', step: { kind: 'raw', body: '{"hello":1}' }, kind: 'schema_mismatch' },
    { name: 'HTTP 400', step: { kind: 'http_error', status: 400, message: 'invalid options' }, kind: 'validator_error' },
  ] as const;
  for (const testCase of permanent) {
    it(`records ${testCase.name} as a REJECT with failure ${testCase.kind}`, async () => {
      ollama.script(testCase.step);
      const record = await validatorFor().validate(makeInput(testCase.name), makeContext({ clock: makeClock() }));
      expectRecorded(record);
      expect(record.decision).toBe('REJECT');
      expect(record.failure?.kind).toBe(testCase.kind);
      expect(record.reasons[0]).toContain(`fail-closed (${testCase.kind})`);
      expect(record.model).toBe('llama3.2');
    });
  }

  it('records an APPROVE with a blocking risk flag as a contradiction REJECT, keeping the model reasons', async () => {
    ollama.script({ kind: 'approve', reasons: ['looks fine'], riskFlags: ['data_gap'] });
    const record = await validatorFor().validate(makeInput('contradiction'), makeContext({ clock: makeClock() }));
    expectRecorded(record);
    expect(record.decision).toBe('REJECT');
    expect(record.failure).toEqual({ kind: 'contradiction', message: 'the verdict contradicts itself: APPROVE with blocking risk flag(s): data_gap' });
    expect(record.reasons).toContain('looks fine');
    expect(record.riskFlags).toEqual(['data_gap']);
  });

  it('records a model the server does not have as model_not_found', async () => {
    const record = await validatorFor({ model: 'mistral' }).validate(makeInput('unknown-model'), makeContext({ clock: makeClock() }));
    expect(record.failure?.kind).toBe('model_not_found');
    expect(record.failure?.message).toContain('mistral');
  });

  it.each([500, 502, 503, 429])('throws retryable llm_unavailable on HTTP %i', async (status) => {
    ollama.script({ kind: 'http_error', status });
    const error = await expectRetryable(validatorFor().validate(makeInput(`http-${status}`), makeContext({ clock: makeClock() })));
    expect(error.details.status).toBe(status);
  });

  it('throws retryable llm_unavailable when the connection drops, before or after the headers', async () => {
    ollama.script({ kind: 'drop' }, { kind: 'drop', afterHeaders: true });
    const validator = validatorFor();
    await expectRetryable(validator.validate(makeInput('drop-1'), makeContext({ clock: makeClock() })));
    await expectRetryable(validator.validate(makeInput('drop-2'), makeContext({ clock: makeClock() })));
  });

  it('throws retryable llm_unavailable when the connection is refused', async () => {
    const closed = await startFakeOllama();
    await closed.close();
    const validator = createOllamaTradeValidator({ host: closed.url, model: 'llama3.2' });
    await expectRetryable(validator.validate(makeInput('refused'), makeContext({ clock: makeClock() })));
  });

  it('throws retryable llm_unavailable when the answer is slower than timeoutMs', async () => {
    ollama.script({ kind: 'slow', delayMs: 2_000 });
    const startedAt = performance.now();
    const error = await expectRetryable(validatorFor({ timeoutMs: 150 }).validate(makeInput('slow'), makeContext({ clock: makeClock() })));
    expect(error.details.timeoutMs).toBe(150);
    expect(performance.now() - startedAt).toBeLessThan(1_500);
  });

  it('retries cleanly: a 500 is not remembered, the next call gets the answer', async () => {
    ollama.script({ kind: 'http_error', status: 500 }, { kind: 'approve' });
    const validator = validatorFor();
    const input = makeInput('retry');
    await expectRetryable(validator.validate(input, makeContext({ clock: makeClock() })));
    const record = await validator.validate(input, makeContext({ clock: makeClock() }));
    expect(record.decision).toBe('APPROVE');
  });

  it('throws retryable llm_unavailable when the caller aborts', async () => {
    ollama.script({ kind: 'slow', delayMs: 2_000 });
    const controller = new AbortController();
    const pending = validatorFor().validate(makeInput('abort'), makeContext({ clock: makeClock(), signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    const error = await expectRetryable(pending);
    expect(error.details.aborted).toBe(true);
  });
});

describe('verdicts that are not well-formed, and answers too large to read', () => {
  const chatBody = (content: string, padding = ''): string =>
    `{"model":"llama3.2","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":${JSON.stringify(content)}},"done":true,"done_reason":"stop"${padding}}`;
  const repeated = '{"decision":"REJECT","reasons":["bad"],"confidence":0.9,"riskFlags":["extreme_volatility"],"decision":"APPROVE","riskFlags":[]}';

  it('records a verdict that repeats a key as a fail-closed REJECT (invalid_json), not as the last key\'s APPROVE', async () => {
    ollama.script({ kind: 'raw', body: chatBody(repeated) });
    const record = await validatorFor().validate(makeInput('repeated-key'), makeContext({ clock: makeClock() }));
    expectRecorded(record);
    expect(record.decision).toBe('REJECT');
    expect(record.failure).toEqual({ kind: 'invalid_json', message: 'the verdict repeats the key "decision", so it reads two ways' });
    expect(record.reasons[0]).toBe('fail-closed (invalid_json): the verdict repeats the key "decision", so it reads two ways');
  });

  it('records an answer whose envelope repeats a key as a fail-closed REJECT', async () => {
    const approve = '{"decision":"APPROVE","reasons":["ok"],"confidence":0.9,"riskFlags":[]}';
    ollama.script({ kind: 'raw', body: chatBody(approve, ',"done":false') });
    const record = await validatorFor().validate(makeInput('repeated-envelope-key'), makeContext({ clock: makeClock() }));
    expect(record).toMatchObject({ decision: 'REJECT', failure: { kind: 'invalid_json', message: 'the answer repeats the key "done", so it reads two ways' } });
  });

  it.each([[[' ']], [['\u0000\u202e']], [['uptrend intact', '\u200b\t']]])('records an APPROVE whose reasons %j hold no visible text as a schema_mismatch REJECT', async (reasons) => {
    ollama.script({ kind: 'approve', reasons });
    const record = await validatorFor().validate(makeInput(`blank-${JSON.stringify(reasons)}`), makeContext({ clock: makeClock() }));
    expectRecorded(record);
    expect(record.decision).toBe('REJECT');
    expect(record.failure?.kind).toBe('schema_mismatch');
    expect(record.failure?.message).toContain('a reason must hold visible text');
  });

  it('records the reasons of an APPROVE without control or bidi-override characters', async () => {
    ollama.script({ kind: 'approve', reasons: ['\u0000\u202e ignore', 'volatility\nnormal'] });
    const record = await validatorFor().validate(makeInput('control-reasons'), makeContext({ clock: makeClock() }));
    expect(record).toMatchObject({ decision: 'APPROVE', reasons: ['ignore', 'volatility normal'] });
  });

  it(`records a body over OLLAMA_RESPONSE_LIMIT_BYTES (${OLLAMA_RESPONSE_LIMIT_BYTES}) as a validator_error REJECT`, async () => {
    const approve = '{"decision":"APPROVE","reasons":["ok"],"confidence":0.9,"riskFlags":[]}';
    ollama.script({ kind: 'raw', body: chatBody(approve, ' '.repeat(OLLAMA_RESPONSE_LIMIT_BYTES)) });
    const record = await validatorFor().validate(makeInput('too-large'), makeContext({ clock: makeClock() }));
    expectRecorded(record);
    expect(record.decision).toBe('REJECT');
    expect(record.failure).toEqual({ kind: 'validator_error', message: `the response body (HTTP 200) is longer than ${OLLAMA_RESPONSE_LIMIT_BYTES} bytes; it was not read further` });
    expect(record.rawResponse?.length).toBeLessThanOrEqual(65_536);
  });

  it('stops reading an endless body soon after the limit, with or without content-length', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    for (const declaredLength of [undefined, String(64 * 1024 * 1024)]) {
      let pulledBytes = 0;
      const endless = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulledBytes += chunk.byteLength;
          controller.enqueue(pulledBytes === chunk.byteLength ? new TextEncoder().encode(chatBody('{"decision":"APPROVE"', ' ')) : chunk);
          if (pulledBytes >= 64 * 1024 * 1024) controller.close();
        },
      });
      const headers = { 'content-type': 'application/json', ...(declaredLength === undefined ? {} : { 'content-length': declaredLength }) };
      const fetchEndless: typeof fetch = async () => new Response(endless, { status: 200, headers });
      const validator = createOllamaTradeValidator({ host: 'http://127.0.0.1:1', model: 'llama3.2' }, { fetch: fetchEndless });
      const record = await validator.validate(makeInput(`endless-${declaredLength}`), makeContext({ clock: makeClock() }));
      expect(record.failure?.kind).toBe('validator_error');
      expect(pulledBytes).toBeLessThanOrEqual(OLLAMA_RESPONSE_LIMIT_BYTES + 2 * chunk.byteLength);
    }
  });

  it('still throws retryable llm_unavailable for a 5xx whose body is too large', async () => {
    ollama.script({ kind: 'raw', status: 503, body: ' '.repeat(OLLAMA_RESPONSE_LIMIT_BYTES + 1) });
    await expectRetryable(validatorFor().validate(makeInput('too-large-503'), makeContext({ clock: makeClock() })));
  });
});

describe('expiry', () => {
  it('returns an expired REJECT without calling the server when expiresAtMs <= now', async () => {
    const clock = makeClock();
    const input = makeInput('stale');
    clock.set(input.recommendation.expiresAtMs);
    const record = await validatorFor().validate(input, makeContext({ clock }));
    expectRecorded(record);
    expect(record.failure?.kind).toBe('expired');
    expect(ollama.requests).toHaveLength(0);
  });

  it('returns an expired REJECT when the time-to-live runs out during the request', async () => {
    ollama.script({ kind: 'slow', delayMs: 2_000 });
    const clock = makeClock();
    const input = makeInput('expires-midway');
    const pending = validatorFor().validate(input, makeContext({ clock }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    clock.set(input.recommendation.expiresAtMs);
    const record = await pending;
    expect(record.decision).toBe('REJECT');
    expect(record.failure?.kind).toBe('expired');
  });
});

describe('cache, concurrency and backpressure', () => {
  it('never sends the same recommendation twice, sequentially or concurrently', async () => {
    const validator = validatorFor();
    const input = makeInput('cached');
    const context = makeContext({ clock: makeClock() });
    const [first, second] = await Promise.all([validator.validate(input, context), validator.validate(input, context)]);
    const third = await validator.validate(input, context);
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(ollama.requests.filter((request) => request.path === '/api/chat')).toHaveLength(1);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const validator = validatorFor({ concurrency: 2 });
    ollama.script(...Array.from({ length: 6 }, () => ({ kind: 'slow' as const, delayMs: 60 })));
    const records = await Promise.all(Array.from({ length: 6 }, (_, index) => validator.validate(makeInput(`parallel-${index}`), makeContext({ clock: makeClock() }))));
    expect(records.every((record) => record.decision === 'APPROVE')).toBe(true);
    expect(ollama.stats().maxInFlight).toBe(2);
  });

  it('refuses with retryable llm_unavailable once the queue is full', async () => {
    const validator = validatorFor({ concurrency: 1, queueLimit: 1 });
    ollama.script({ kind: 'slow', delayMs: 100 }, { kind: 'slow', delayMs: 100 });
    const context = makeContext({ clock: makeClock() });
    const running = validator.validate(makeInput('q-1'), context);
    const queued = validator.validate(makeInput('q-2'), context);
    const error = await expectRetryable(validator.validate(makeInput('q-3'), context));
    expect(error.details.queueLimit).toBe(1);
    expect((await running).decision).toBe('APPROVE');
    expect((await queued).decision).toBe('APPROVE');
  });
});
