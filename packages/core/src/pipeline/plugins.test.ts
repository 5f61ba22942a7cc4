import { describe, expect, it } from 'vitest';
import { isTradepipeError } from '../errors.js';
import { createMemoryStore } from '../memory-store.js';
import { createTestApprovalSigner, testCandle, testProduct, testRecommendation } from '../testing/fixtures.js';
import { createManualClock, GRANULARITIES } from '../time.js';
import type { PipelineOptions } from './options.js';
import { createPipeline } from './pipeline.js';
import { definePluginStage, wrapEveryStage, wrapStage, type PipelinePlugin } from './plugins.js';
import { loadRecommendation } from './stages/recommendation-input.js';
import { ImmediateExecutor, LimitRiskManager, ReturnFeatureSet, ScriptedValidator, ThresholdModel } from './test-doubles.js';

const HOUR = GRANULARITIES.ONE_HOUR;
// flat, +5 % (BUY), flat, −5 % (SELL)
const CLOSES = [100, 100, 105, 105, 99.75];

async function replayWith(plugins: PipelinePlugin[], overrides: Partial<PipelineOptions> = {}) {
  const clock = createManualClock(testCandle({ index: 0 }).startMs);
  const store = createMemoryStore({ clock });
  await store.putProduct(testProduct());
  const signer = createTestApprovalSigner();
  const pipeline = createPipeline({
    pipelineId: 'test',
    store,
    clock,
    features: new ReturnFeatureSet(),
    model: new ThresholdModel(),
    validator: new ScriptedValidator('scripted', ['approve']),
    risk: new LimitRiskManager(signer),
    executor: new ImmediateExecutor(signer),
    plugins,
    ...overrides,
  });
  const finished: string[] = [];
  pipeline.on('recommendation:finished', ({ recommendation, state, reason }) => void finished.push(`${recommendation.side}:${state}${reason === undefined ? '' : `:${reason}`}`));
  for (const [index, close] of CLOSES.entries()) {
    const candle = testCandle({ index, close, open: close });
    clock.set(candle.startMs + HOUR);
    await store.putCandles([candle]);
    await pipeline.runUntilIdle();
  }
  return { store, pipeline, finished };
}

describe('plugins that wrap stages', () => {
  it('run around every stage, in a candle’s order, inside the stage and before the persist', async () => {
    const calls: string[] = [];
    const tracing = wrapEveryStage(async (call, next) => {
      calls.push(`${call.stage}>`);
      const result = await next();
      calls.push(`<${call.stage}:${result.kind}`);
      return result;
    });
    await replayWith([{ name: 'tracing', wrappers: [tracing] }]);
    expect(calls.slice(0, 14)).toEqual([
      'signal>', '<signal:complete', // warm-up candle
      'signal>', '<signal:complete', 'bridge>', '<bridge:complete', // HOLD
      'signal>', '<signal:complete', 'bridge>', '<bridge:complete', // BUY
      'validation>', '<validation:pass', 'risk>', '<risk:pass',
    ]);
    expect(calls).toContain('<execution:complete');
  });

  it('can veto: a wrapper around risk that refuses BUYs ends them REJECTED, with no order', async () => {
    const noBuys = wrapStage('risk', async (call, next) =>
      call.input.recommendation.side === 'BUY' ? { kind: 'complete', state: 'REJECTED', reason: 'veto: no BUY today' } : next(),
    );
    const { store, finished } = await replayWith([{ name: 'veto', wrappers: [noBuys] }]);
    expect(finished).toEqual(['BUY:REJECTED:veto: no BUY today', 'SELL:REJECTED:nothing_held: SELL with no position (no shorting)']);
    expect(await store.countOrdersSince(0)).toBe(0);
  });

  it('is refused if it calls next twice: the item fails closed', async () => {
    const twice = wrapStage('validation', async (_call, next) => {
      await next();
      return next();
    });
    const { store } = await replayWith([{ name: 'twice', wrappers: [twice] }]);
    const [recommendation] = await store.listRecommendations({});
    expect((await store.getRecommendation(recommendation!.id))?.status).toMatchObject({ state: 'REJECTED', reason: expect.stringMatching(/pipeline_invalid/) });
  });
});

describe('a plugin stage slotted in between two others', () => {
  const review = definePluginStage({
    name: 'review',
    after: 'validation',
    takes: { kind: 'recommendation', state: 'PENDING_REVIEW', ordered: false },
    onRetriesExhausted: 'REJECTED',
    onPermanentFailure: 'REJECTED',
    load: async (claim, context) => ({ recommendation: await loadRecommendation(claim, context.slotContext.store) }),
    run: async ({ recommendation }) =>
      recommendation.side === 'SELL' ? { kind: 'complete', state: 'REJECTED', reason: 'review: no SELL' } : { kind: 'pass' },
  });

  it('takes what validation passes on in its own state, and passes it on to risk', async () => {
    const seen: string[] = [];
    const watch = wrapStage('risk', async (call, next) => {
      seen.push(call.input.recommendation.side);
      return next();
    });
    const { store, finished } = await replayWith([{ name: 'review', stages: [review], wrappers: [watch] }], { exits: undefined });
    expect(seen).toEqual(['BUY']);
    expect(finished).toEqual(['BUY:EXECUTED', 'SELL:REJECTED:review: no SELL']);
    expect(await store.countByState('recommendation')).toEqual({ EXECUTED: 1, REJECTED: 1 });
  });

  it('runs in the process that runs the stage it follows', async () => {
    const recommendation = testRecommendation();
    const clock = createManualClock(recommendation.createdAtMs);
    const store = createMemoryStore({ clock });
    await store.insertRecommendation(recommendation, 'PENDING_VALIDATION');
    const plugins = [{ name: 'review', stages: [review] }];
    const bridgeOnly = createPipeline({ pipelineId: 'x', store, clock, stages: ['bridge'], plugins });
    expect(await bridgeOnly.runUntilIdle()).toBe(0);
    const validation = createPipeline({ pipelineId: 'x', store, clock, validator: new ScriptedValidator('v', ['approve']), stages: ['validation'], plugins });
    expect(await validation.runUntilIdle()).toBe(2);
    expect((await store.getRecommendation(recommendation.id))?.status.state).toBe('PENDING_RISK');
  });
});

describe('plugin rules, checked when the pipeline is built', () => {
  const store = createMemoryStore();
  const codeOf = (plugins: PipelinePlugin[], overrides: Partial<PipelineOptions> = {}) => {
    try {
      createPipeline({ pipelineId: 'x', store, validator: new ScriptedValidator('primary', ['approve']), plugins, ...overrides });
    } catch (error) {
      return isTradepipeError(error) ? `${error.code}: ${error.message}` : 'other';
    }
    return 'built';
  };
  const stage = (name: string, after: string, state: string, ends: string = 'REJECTED') =>
    definePluginStage({ name, after, takes: { kind: 'recommendation', state, ordered: false }, onRetriesExhausted: ends as 'REJECTED', onPermanentFailure: 'REJECTED', load: async () => ({}), run: async () => ({ kind: 'pass' }) });

  it('refuses duplicates: validator names, plugin names, stage names', () => {
    expect(codeOf([{ name: 'a', validators: [new ScriptedValidator('primary', ['approve'])] }])).toMatch(/^pipeline_invalid: .*validator.*"primary"/);
    expect(codeOf([{ name: 'a' }, { name: 'a' }])).toMatch(/^pipeline_invalid: .*plugin/);
    expect(codeOf([{ name: 'a', stages: [stage('risk', 'validation', 'PENDING_A')] }])).toMatch(/^pipeline_invalid: .*stage.*"risk"/);
  });

  it('refuses wrappers of unknown stages', () => {
    expect(codeOf([{ name: 'a', wrappers: [wrapEveryStage(async (_call, next) => next()), { stage: 'riks', around: async (_call, next) => next() }] }])).toMatch(/^pipeline_invalid: .*"riks"/);
  });

  it('refuses a plugin stage that cannot be reached or would share a state', () => {
    expect(codeOf([{ name: 'a', stages: [stage('a1', 'nowhere', 'PENDING_A')] }])).toMatch(/unknown stage "nowhere"/);
    expect(codeOf([{ name: 'a', stages: [stage('a1', 'execution', 'PENDING_A')] }])).toMatch(/passes nothing on/);
    expect(codeOf([{ name: 'a', stages: [stage('a1', 'a2', 'PENDING_A'), stage('a2', 'a1', 'PENDING_B')] }])).toMatch(/never reached/);
    expect(codeOf([{ name: 'a', stages: [stage('a1', 'validation', 'PENDING_RISK')] }])).toMatch(/state of its own/);
    expect(codeOf([{ name: 'a', stages: [stage('a1', 'validation', 'PENDING_A'), stage('a2', 'a1', 'PENDING_A')] }])).toMatch(/Two stages take/);
    expect(codeOf([{ name: 'a', stages: [stage('a1', 'validation', 'PENDING_A'), stage('a2', 'validation', 'PENDING_B')] }])).toMatch(/share the name "validation"/);
    expect(codeOf([{ name: 'a', stages: [stage('a1', 'validation', 'PENDING_A', 'PENDING_RISK')] }])).toMatch(/terminal state/);
    expect(codeOf([{ name: 'a', stages: [stage('a1', 'validation', 'PENDING_A'), stage('a2', 'a1', 'PENDING_B')] }])).toBe('built');
  });
});
