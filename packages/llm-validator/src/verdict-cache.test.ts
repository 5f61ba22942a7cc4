import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOllamaTradeValidator } from './ollama-validator.js';
import { startFakeOllama, type FakeOllama } from './testing.js';
import { makeClock, makeContext, makeInput } from './test-helpers.js';
import { withVerdictCache } from './verdict-cache.js';

let ollama: FakeOllama;
let directory: string;
beforeAll(async () => {
  ollama = await startFakeOllama({ models: ['llama3.2:latest'] });
});
afterAll(async () => ollama.close());
afterEach(async () => {
  ollama.reset();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

const cachedValidator = (options: { promptVersion?: string } = {}) =>
  withVerdictCache(createOllamaTradeValidator({ host: ollama.url, model: 'llama3.2', timeoutMs: 5_000, ...options }), { directory });

/** Four different recommendations (sides and prices differ, so their prompts do). */
const inputs = [makeInput(1), makeInput(2, { referencePrice: 101 }), makeInput(3, { side: 'SELL', baseSize: '0.5' as never }), makeInput(4, { referencePrice: 99 })];

async function validateAll(validator: ReturnType<typeof cachedValidator>) {
  const context = makeContext({ clock: makeClock() });
  const verdicts = [];
  for (const input of inputs) verdicts.push(await validator.validate(input, context));
  return verdicts;
}

describe('withVerdictCache', () => {
  it('answers a re-run from disk: the same verdicts and not one HTTP call', async () => {
    directory = await mkdtemp(join(tmpdir(), 'tradepipe-verdicts-'));
    ollama.script({ kind: 'approve', confidence: 0.8 }, { kind: 'reject', confidence: 0.7 }, { kind: 'approve', confidence: 0.65 }, { kind: 'reject', riskFlags: ['high_volatility'] });
    const first = cachedValidator();
    const firstVerdicts = await validateAll(first);
    expect(ollama.stats().generations).toBe(4);
    expect(first.stats()).toEqual({ hits: 0, misses: 4 });
    expect(firstVerdicts.map((verdict) => verdict.decision)).toEqual(['APPROVE', 'REJECT', 'APPROVE', 'REJECT']);
    expect(await readdir(directory)).toHaveLength(4);

    ollama.reset();
    ollama.script({ kind: 'http_error', status: 500 }); // any call now would fail the test
    const second = cachedValidator();
    expect(await validateAll(second)).toEqual(firstVerdicts);
    expect(ollama.requests).toHaveLength(0);
    expect(second.stats()).toEqual({ hits: 4, misses: 0 });
  });

  it('asks again under another prompt version, and does not keep transient failures', async () => {
    directory = await mkdtemp(join(tmpdir(), 'tradepipe-verdicts-'));
    const context = makeContext({ clock: makeClock() });
    ollama.script({ kind: 'http_error', status: 503 }, { kind: 'approve' }, { kind: 'reject' });
    await expect(cachedValidator().validate(inputs[0]!, context)).rejects.toMatchObject({ code: 'llm_unavailable' });
    expect(await readdir(directory).catch(() => [])).toHaveLength(0);
    expect((await cachedValidator().validate(inputs[0]!, context)).decision).toBe('APPROVE');
    expect((await cachedValidator({ promptVersion: 'my-prompt-2' }).validate(inputs[0]!, context)).decision).toBe('REJECT');
    expect(ollama.stats().generations).toBe(3);
    expect(await readdir(directory)).toHaveLength(2);
  });

  it('refuses a corrupt cache file with a typed error naming it', async () => {
    directory = await mkdtemp(join(tmpdir(), 'tradepipe-verdicts-'));
    const context = makeContext({ clock: makeClock() });
    ollama.script({ kind: 'approve' });
    await cachedValidator().validate(inputs[0]!, context);
    const [file] = await readdir(directory);
    await writeFile(join(directory, file!), '{"not":"a verdict"}');
    await expect(cachedValidator().validate(inputs[0]!, context)).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
