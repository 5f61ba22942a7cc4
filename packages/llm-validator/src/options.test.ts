import { describe, expect, it } from 'vitest';
import { createOllamaTradeValidator } from './ollama-validator.js';
import { OllamaValidatorOptionsSchema } from './options.js';
import { createRuleValidator } from './rule-validator.js';

describe('options', () => {
  it('defaults to a local Ollama, temperature 0 and seed 42, and needs a version for a custom prompt', () => {
    expect(OllamaValidatorOptionsSchema.parse({ model: 'llama3.2' })).toMatchObject({ host: 'http://127.0.0.1:11434', temperature: 0, seed: 42, concurrency: 2 });
    expect(OllamaValidatorOptionsSchema.safeParse({ model: 'm', systemPrompt: 'be careful' }).success).toBe(false);
    expect(OllamaValidatorOptionsSchema.safeParse({ model: 'm', systemPrompt: 'be careful', promptVersion: 'mine/1' }).success).toBe(true);
    expect(OllamaValidatorOptionsSchema.safeParse({ model: 'm', tempurature: 1 }).success).toBe(false);
  });
});

describe('construction', () => {
  it('throws validation_failed for bad options', () => {
    expect(() => createOllamaTradeValidator({ model: '' })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(() => createRuleValidator({ minConfidence: 2 })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
