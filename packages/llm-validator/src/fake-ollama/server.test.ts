import { Ollama } from 'ollama';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama } from './server.js';
import type { FakeOllama } from './server.js';

let ollama: FakeOllama;
let client: Ollama;
beforeAll(async () => {
  ollama = await startFakeOllama({ models: ['llama3.2'], version: '0.12.3' });
  client = new Ollama({ host: ollama.url });
});
afterAll(async () => ollama.close());
afterEach(() => ollama.reset());

const chat = { model: 'llama3.2', messages: [{ role: 'user', content: 'review this trade' }] };

describe('startFakeOllama', () => {
  it('listens on 127.0.0.1 on a free port and serves the version and model list', async () => {
    expect(ollama.url).toBe(`http://127.0.0.1:${ollama.port}`);
    expect(ollama.host).toBe('127.0.0.1');
    expect(await client.version()).toEqual({ version: '0.12.3' });
    const { models } = await client.list();
    expect(models.map((model) => model.name)).toEqual(['llama3.2:latest']);
    const shown = await client.show({ model: 'llama3.2' });
    expect(shown.model_info).toMatchObject({ 'general.architecture': 'llama' });
  });

  it('streams a chat answer the ollama client reassembles, ending with done and stats', async () => {
    ollama.script({ kind: 'approve', reasons: ['fine'] });
    let content = '';
    let last: { done: boolean; done_reason: string; eval_count: number } | undefined;
    for await (const part of await client.chat({ ...chat, stream: true, format: 'json' })) {
      content += part.message.content;
      last = part;
    }
    expect(JSON.parse(content)).toEqual({ decision: 'APPROVE', reasons: ['fine'], confidence: 0.78, riskFlags: [] });
    expect(last).toMatchObject({ done: true, done_reason: 'stop' });
    expect(last?.eval_count).toBeGreaterThan(0);
  });

  it('answers prose without a format and keeps only schema properties with a schema format', async () => {
    ollama.script({ kind: 'approve' }, { kind: 'approve' });
    const prose = await client.chat({ ...chat, stream: false });
    expect(prose.message.content.startsWith('APPROVE.')).toBe(true);
    const schema = { type: 'object', properties: { decision: { type: 'string' } }, required: ['decision'] };
    const structured = await client.chat({ ...chat, stream: false, format: schema });
    expect(JSON.parse(structured.message.content)).toEqual({ decision: 'APPROVE' });
  });

  it('sends an {"error"} line mid-stream for stream_error, which the client throws', async () => {
    ollama.script({ kind: 'stream_error', message: 'model runner crashed' });
    const consume = async (): Promise<void> => {
      for await (const part of await client.chat({ ...chat, stream: true })) void part;
    };
    await expect(consume()).rejects.toThrow('model runner crashed');
  });

  it('takes scripted steps in order, then the default, and records every request body', async () => {
    ollama.script({ kind: 'http_error', status: 503, message: 'server busy' });
    ollama.enqueue({ kind: 'reject' });
    await expect(client.chat({ ...chat, stream: false })).rejects.toMatchObject({ name: 'ResponseError', status_code: 503, error: 'server busy' });
    expect(JSON.parse((await client.chat({ ...chat, stream: false, format: 'json' })).message.content).decision).toBe('REJECT');
    expect(JSON.parse((await client.chat({ ...chat, stream: false, format: 'json' })).message.content).decision).toBe('APPROVE');
    expect(ollama.requests.map((request) => request.path)).toEqual(['/api/chat', '/api/chat', '/api/chat']);
    expect(ollama.requests[0]?.body).toMatchObject({ model: 'llama3.2', stream: false });
    expect(ollama.requests[0]?.headers['user-agent']).toMatch(/^ollama-js\//);
    expect(ollama.stats().generations).toBe(3);
  });

  it('answers /api/generate with a response field, context, and done_reason length when truncated', async () => {
    ollama.script({ kind: 'truncated' });
    const answer = await client.generate({ model: 'llama3.2', prompt: 'review', stream: false, format: 'json' });
    expect(answer.done_reason).toBe('length');
    expect(typeof answer.response).toBe('string');
    expect(() => JSON.parse(answer.response ?? '')).toThrow();
    expect((answer.response ?? '').length).toBeGreaterThan(5);
    expect(answer.context.length).toBeGreaterThan(0);
  });

  it('refuses bad requests the way Ollama does', async () => {
    const post = (body: string) => fetch(`${ollama.url}/api/chat`, { method: 'POST', body });
    expect(await (await post('')).json()).toEqual({ error: 'missing request body' });
    expect((await post('{"messages":[]}')).status).toBe(400);
    expect(await (await post('{"model":"llama3.2","messages":[{"role":"user","content":"x"}],"format":"xml"}')).json()).toEqual({
      error: 'invalid format: expected "json" or a valid JSON schema',
    });
    const missing = await fetch(`${ollama.url}/api/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('404 page not found');
  });

  it('drops the connection, waits when slow, and counts requests in flight', async () => {
    ollama.script({ kind: 'drop' });
    await expect(client.chat({ ...chat, stream: false })).rejects.toThrow(/fetch failed|terminated|socket/i);
    ollama.script({ kind: 'slow', delayMs: 120 }, { kind: 'slow', delayMs: 120 });
    const startedAt = performance.now();
    await Promise.all([client.chat({ ...chat, stream: false }), client.chat({ ...chat, stream: false })]);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(110);
    expect(ollama.stats().maxInFlight).toBe(2);
  });

  it('adds a server-wide delay from options', async () => {
    const slow = await startFakeOllama({ delayMs: 80 });
    const startedAt = performance.now();
    await new Ollama({ host: slow.url }).chat({ ...chat, stream: false });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(70);
    await slow.close();
  });
});
