/**
 * Golden tests: the fake's answers and the validator's request are held to the examples of Ollama's API
 * documentation (fixtures/ollama-docs/*.json, each citing its source), not to the fake itself.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOllamaTradeValidator } from './ollama-validator.js';
import { startFakeOllama } from './testing.js';
import type { FakeOllama } from './testing.js';
import { makeClock, makeContext, makeInput } from './test-helpers.js';

interface Fixture {
  readonly source: string;
  readonly request?: Record<string, unknown>;
  readonly response?: unknown;
  readonly chunk?: unknown;
  readonly final?: unknown;
  readonly options?: Record<string, unknown>;
  readonly status?: number;
}

const fixture = (name: string): Fixture => JSON.parse(readFileSync(new URL(`../fixtures/ollama-docs/${name}`, import.meta.url), 'utf8')) as Fixture;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Asserts `actual` has every key of `expected` with the same JSON type (integers stay integers, a documented
 * `null` accepts anything), recursively; keys the docs do not show must be listed in `allowedExtra`
 * (dotted paths, `*` for any key below a path).
 */
function expectSameShape(actual: unknown, expected: unknown, allowedExtra: readonly string[] = [], path = ''): void {
  if (expected === null) return;
  const where = path === '' ? '(root)' : path;
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${where} is an array`).toBe(true);
    const [first] = expected;
    if (first !== undefined) for (const item of actual as unknown[]) expectSameShape(item, first, allowedExtra, `${path}[]`);
    return;
  }
  if (typeof expected === 'object') {
    expect(typeof actual === 'object' && actual !== null && !Array.isArray(actual), `${where} is an object`).toBe(true);
    const record = actual as Record<string, unknown>;
    for (const [key, value] of Object.entries(expected)) {
      const childPath = path === '' ? key : `${path}.${key}`;
      expect(Object.hasOwn(record, key), `${childPath} is present`).toBe(true);
      expectSameShape(record[key], value, allowedExtra, childPath);
    }
    for (const key of Object.keys(record).filter((name) => !Object.hasOwn(expected, name))) {
      const childPath = path === '' ? key : `${path}.${key}`;
      expect(allowedExtra.includes(childPath) || allowedExtra.includes(`${path}.*`), `${childPath} is documented`).toBe(true);
    }
    return;
  }
  expect(typeof actual, `${where} type`).toBe(typeof expected);
  if (typeof expected === 'number' && Number.isInteger(expected) && !/temperature|_p$|tau|eta|penalty/.test(path)) {
    expect(Number.isInteger(actual), `${where} is an integer`).toBe(true);
  }
  if (path.endsWith('created_at') || path.endsWith('modified_at')) expect(actual as string).toMatch(RFC3339);
}

let ollama: FakeOllama;
beforeAll(async () => {
  ollama = await startFakeOllama({ models: ['llama3.2', 'llama3.1', 'llama3.1:8b', 'codellama:13b'] });
});
afterAll(async () => ollama.close());

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${ollama.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function ndjson(response: Response): Promise<unknown[]> {
  expect(response.headers.get('content-type')).toBe('application/x-ndjson');
  const text = await response.text();
  expect(text.endsWith('\n')).toBe(true);
  return text.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown);
}

describe('fake Ollama answers in the documented shapes', () => {
  it('POST /api/chat, structured outputs, stream false', async () => {
    const golden = fixture('chat-structured-outputs.json');
    ollama.script({ kind: 'json', value: { age: 22, available: false } });
    const response = await post('/api/chat', golden.request);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await response.json()) as { message: { content: string }; model: string };
    expectSameShape(body, golden.response);
    expect(body.model).toBe('llama3.1');
    expect(Object.keys(JSON.parse(body.message.content) as object).sort()).toEqual(['age', 'available']);
  });

  it('POST /api/chat streams NDJSON by default: chunks, then a final line with the stats', async () => {
    const golden = fixture('chat-streaming.json');
    ollama.script({ kind: 'text', content: 'Rayleigh scattering depends on wavelength; Mie does not.' });
    const lines = await ndjson(await post('/api/chat', golden.request));
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines.slice(0, -1)) expectSameShape(line, golden.chunk);
    // The docs' final example omits `message` and `done_reason`; servers send both (docs/api-facts.md B2).
    expectSameShape(lines.at(-1), golden.final, ['message', 'done_reason']);
    expect(lines.at(-1)).toMatchObject({ message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop' });
  });

  it('POST /api/chat with no messages loads the model', async () => {
    const golden = fixture('chat-load.json');
    const response = await post('/api/chat', { ...golden.request, stream: false });
    expectSameShape(await response.json(), golden.response);
  });

  it('POST /api/generate, streaming and structured outputs', async () => {
    const streaming = fixture('generate-streaming.json');
    const lines = await ndjson(await post('/api/generate', streaming.request));
    for (const line of lines.slice(0, -1)) expectSameShape(line, streaming.chunk);
    expectSameShape(lines.at(-1), streaming.final, ['done_reason']);
    const structured = fixture('generate-structured-outputs.json');
    ollama.script({ kind: 'json', value: { age: 22, available: true } });
    expectSameShape(await (await post('/api/generate', structured.request)).json(), structured.response);
    const load = fixture('generate-load.json');
    expectSameShape(await (await post('/api/generate', { ...load.request, stream: false })).json(), load.response, ['done_reason']);
  });

  it('GET /api/tags, POST /api/show, GET /api/version', async () => {
    const tags = (await (await fetch(`${ollama.url}/api/tags`)).json()) as { models: unknown[] };
    expect(tags.models).toHaveLength(4);
    expectSameShape(tags, fixture('tags.json').response, ['models[].model', 'models[].details.parent_model']);
    const show = fixture('show.json');
    expectSameShape(await (await post('/api/show', show.request)).json(), show.response, ['model_info.*', 'capabilities', 'modified_at']);
    expectSameShape(await (await fetch(`${ollama.url}/api/version`)).json(), fixture('version.json').response);
  });

  it('answers an unknown model with 404 and {"error": "... not found ..."}', async () => {
    const golden = fixture('error-model-not-found.json');
    const response = await post('/api/chat', { model: 'llama3.1:70b', messages: [{ role: 'user', content: 'hi' }], stream: false });
    expect(response.status).toBe(golden.status);
    const body = (await response.json()) as { error: string };
    expectSameShape(body, golden.response);
    expect(body.error).toBe('model "llama3.1:70b" not found, try pulling it first');
    expect((await post('/api/show', { model: 'nope' })).status).toBe(404);
  });
});

describe('the validator sends a documented /api/chat request', () => {
  it('has the keys and types of the structured-outputs example, and only documented options', async () => {
    ollama.reset();
    const validator = createOllamaTradeValidator({ host: ollama.url, model: 'llama3.2', contextTokens: 4096 });
    await validator.validate(makeInput('golden'), makeContext({ clock: makeClock() }));
    const [request] = ollama.requests;
    expect(request?.path).toBe('/api/chat');
    const body = request?.body as Record<string, unknown>;
    const golden = fixture('chat-structured-outputs.json');
    // `format` is checked below: the docs' schema is for another answer than a verdict.
    expectSameShape(body, { ...golden.request, format: null }, ['keep_alive', 'options.seed', 'options.num_predict', 'options.num_ctx']);
    const documentedOptions = fixture('generate-options.json').options ?? {};
    expectSameShape(body.options, Object.fromEntries(Object.keys(body.options as object).map((key) => [key, documentedOptions[key]])));
    const format = body.format as { type: string; properties: Record<string, unknown>; required: string[] };
    expect(format.type).toBe('object');
    expect(format.required.sort()).toEqual(Object.keys(format.properties).sort());
    for (const message of body.messages as { role: string }[]) expect(['system', 'user', 'assistant', 'tool']).toContain(message.role);
  });
});
