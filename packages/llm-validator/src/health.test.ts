import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OLLAMA_RESPONSE_LIMIT_BYTES } from './capped-body.js';
import { checkOllamaHealth } from './health.js';
import { createOllamaTradeValidator } from './ollama-validator.js';
import { makeClock, makeContext, makeInput } from './test-helpers.js';
import { startFakeOllama } from './testing.js';
import type { FakeOllama } from './testing.js';

let ollama: FakeOllama;
let refusedUrl: string;
beforeAll(async () => {
  ollama = await startFakeOllama({ models: ['llama3.2:latest', 'qwen2.5:7b'] });
  const closed = await startFakeOllama();
  refusedUrl = closed.url;
  await closed.close();
});
afterAll(async () => ollama.close());

// Generous deadlines where the server answers: a busy machine must not turn `ok` into a timeout.
const ANSWERS_MS = 20_000;

describe('checkOllamaHealth over HTTP against the fake Ollama', () => {
  it('is ok when the server answers /api/tags with the model, with or without the tag', async () => {
    for (const model of ['llama3.2', 'llama3.2:latest', 'qwen2.5:7b']) {
      const health = await checkOllamaHealth({ host: ollama.url, model, timeoutMs: ANSWERS_MS });
      expect(health).toMatchObject({ status: 'ok', model });
      expect(health.reason).toBeUndefined();
      expect(health.latencyMs).toBeGreaterThanOrEqual(0);
    }
    expect(ollama.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/tags' });
  });

  it('fails with model_missing when the model is not pulled, naming the model and the pull command', async () => {
    const health = await checkOllamaHealth({ host: ollama.url, model: 'llama3.1', timeoutMs: ANSWERS_MS });
    expect(health).toMatchObject({ status: 'failing', reason: 'model_missing' });
    expect(health.message).toMatch(/^model_missing: model llama3\.1 is not pulled .*ollama pull llama3\.1$/);
  });

  it('fails with ollama_unreachable when the connection is refused, naming neither host nor path', async () => {
    const health = await checkOllamaHealth({ host: `${refusedUrl}/proxy-token-123/`, model: 'llama3.2', timeoutMs: ANSWERS_MS });
    expect(health).toMatchObject({ status: 'failing', reason: 'ollama_unreachable' });
    expect(health.message).toBe('ollama_unreachable: GET /api/tags failed (ECONNREFUSED)');
    expect(JSON.stringify(health)).not.toMatch(/proxy-token|127\.0\.0\.1|:\d{4,5}/);
  });

  it('fails with ollama_timeout when the server accepts but does not answer within the deadline', async () => {
    const stuck = await startFakeOllama({ infoDelayMs: 600_000 });
    try {
      const health = await checkOllamaHealth({ host: stuck.url, model: 'llama3.2', timeoutMs: 100 });
      expect(health).toMatchObject({ status: 'failing', reason: 'ollama_timeout', message: 'ollama_timeout: no answer from /api/tags within 100 ms' });
      expect(stuck.requests.map((request) => request.path)).toEqual(['/api/tags']);
    } finally {
      await stuck.close();
    }
  });

  it('fails with ollama_http_error or ollama_bad_response when something else answers', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((request, response) => {
      if (request.url === '/bad/api/tags') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      response.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as import('node:net').AddressInfo).port;
    try {
      const missing = await checkOllamaHealth({ host: `http://127.0.0.1:${port}`, model: 'llama3.2', timeoutMs: ANSWERS_MS });
      expect(missing).toMatchObject({ status: 'failing', reason: 'ollama_http_error', message: 'ollama_http_error: GET /api/tags answered HTTP 404' });
      const odd = await checkOllamaHealth({ host: `http://127.0.0.1:${port}/bad`, model: 'llama3.2', timeoutMs: ANSWERS_MS });
      expect(odd).toMatchObject({ status: 'failing', reason: 'ollama_bad_response' });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('fails with ollama_bad_response, reading no further, when /api/tags answers more than OLLAMA_RESPONSE_LIMIT_BYTES', async () => {
    let pulledBytes = 0;
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulledBytes += chunk.byteLength;
        controller.enqueue(pulledBytes === chunk.byteLength ? new TextEncoder().encode('{"models":[{"name":"llama3.2:latest"}]}') : chunk);
        if (pulledBytes >= 64 * 1024 * 1024) controller.close();
      },
    });
    const fetchEndless: typeof fetch = async () => new Response(endless, { status: 200, headers: { 'content-type': 'application/json' } });
    const health = await checkOllamaHealth({ host: ollama.url, model: 'llama3.2', timeoutMs: ANSWERS_MS, fetch: fetchEndless });
    expect(health).toMatchObject({ status: 'failing', reason: 'ollama_bad_response', message: `ollama_bad_response: GET /api/tags answered more than ${OLLAMA_RESPONSE_LIMIT_BYTES} bytes` });
    expect(pulledBytes).toBeLessThanOrEqual(OLLAMA_RESPONSE_LIMIT_BYTES + 2 * chunk.byteLength);
  });
});

describe('OllamaTradeValidator.checkHealth', () => {
  it('checks its own host and model under healthTimeoutMs', async () => {
    expect(await createOllamaTradeValidator({ host: ollama.url, model: 'llama3.2', healthTimeoutMs: ANSWERS_MS }).checkHealth()).toMatchObject({ status: 'ok' });
    expect(await createOllamaTradeValidator({ host: ollama.url, model: 'mistral', healthTimeoutMs: ANSWERS_MS }).checkHealth()).toMatchObject({ reason: 'model_missing' });
    expect(await createOllamaTradeValidator({ host: refusedUrl, model: 'llama3.2', healthTimeoutMs: ANSWERS_MS }).checkHealth()).toMatchObject({ reason: 'ollama_unreachable' });
  });

  it('is degraded with queue_full while the server is fine but validations are turned away', async () => {
    const slow = await startFakeOllama({ defaultStep: { kind: 'slow', delayMs: 600_000 } });
    const stop = new AbortController();
    const validator = createOllamaTradeValidator({ host: slow.url, model: 'llama3.2', concurrency: 1, queueLimit: 1, healthTimeoutMs: ANSWERS_MS });
    const context = makeContext({ clock: makeClock(), signal: stop.signal });
    const running = [makeInput('a'), makeInput('b')].map((input) => validator.validate(input, context).catch(() => undefined));
    try {
      await expect.poll(() => validator.queueStats(), { timeout: ANSWERS_MS }).toEqual({ active: 1, queued: 1 });
      expect(await validator.checkHealth()).toMatchObject({ status: 'degraded', reason: 'queue_full', message: 'queue_full: 1 validations wait (queueLimit 1)' });
    } finally {
      stop.abort();
      await Promise.all(running);
      await slow.close();
    }
  });
});
