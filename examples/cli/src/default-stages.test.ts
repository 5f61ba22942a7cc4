import { describe, expect, it } from 'vitest';
import type { SignalModel } from '@tradepipe/core';
import { FEATURE_NAMES, FEATURE_SET_VERSION } from '@tradepipe/features';
import { loadDefaultModel, modelCardFigures } from '@tradepipe/model';
import { UsageError } from './cli-errors.js';
import { describeValidator, readPipelineSettings, ruleValidatorBar } from './default-stages.js';
import type { CliIo } from './io.js';

const io = { cwd: process.cwd() } as CliIo;

describe("the rule validator's bar", () => {
  it("is the bundled model card's walk-forward bar unless --min-confidence is given (as npm start's main job uses it)", async () => {
    const model = await loadDefaultModel({ expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION });
    const card = modelCardFigures(model.metadata).walkForward?.validatorMinConfidence;
    expect(card).toBeTypeOf('number');
    const settings = readPipelineSettings({}, io);
    expect(ruleValidatorBar(settings, model)).toEqual({ minConfidence: card, source: 'model card' });
    expect(describeValidator(settings, model)).toBe(`rules (min confidence ${card}, the model card's walk-forward bar)`);
    const given = readPipelineSettings({ 'min-confidence': '0.55' }, io);
    expect(ruleValidatorBar(given, model)).toEqual({ minConfidence: 0.55, source: 'option' });
    expect(describeValidator(given, model)).toBe('rules (min confidence 0.55)');
  });

  it('is 0.4 for a model without a card', () => {
    const model = { modelId: 'm', modelVersion: '1' } as SignalModel;
    expect(ruleValidatorBar(readPipelineSettings({}, io), model)).toEqual({ minConfidence: 0.4, source: 'default' });
    expect(describeValidator(readPipelineSettings({ validator: 'ollama' }, io), model)).toBe('ollama llama3.2 (verdicts cached)');
  });
});

describe('the paper account and cost options', () => {
  it('take plain decimal numbers; --starting-usd 0x10, 1e21 or a sum no decimal prints are usage errors naming it', () => {
    expect(readPipelineSettings({ 'starting-usd': '2500.50', 'fee-bps': '60', 'slippage-bps': '0' }, io)).toMatchObject({ startingUsd: 2500.5, feeRateBps: 60, slippageBps: 0 });
    expect(String(readPipelineSettings({ 'starting-usd': '1000000000000' }, io).startingUsd)).toBe('1000000000000');
    for (const text of ['0x10', '1e21', '1000000000000000000000', '0', 'Infinity']) {
      expect(() => readPipelineSettings({ 'starting-usd': text }, io), text).toThrow(UsageError);
      expect(() => readPipelineSettings({ 'starting-usd': text }, io), text).toThrow(/^--starting-usd must be a plain decimal number ≥ 1 and ≤ 1000000000000, not /);
    }
    expect(() => readPipelineSettings({ 'fee-bps': '0x10' }, io)).toThrow(/^--fee-bps must be a plain decimal number/);
    expect(() => readPipelineSettings({ 'min-confidence': '5e-1' }, io)).toThrow(/^--min-confidence must be a plain decimal number/);
  });
});
