import { describe, expect, it } from 'vitest';
import { isTradepipeError } from '../errors.js';
import { recordId } from '../ids.js';
import { createValidation } from '../validation-records.js';
import { createMemoryStore } from '../memory-store.js';
import type { Candle } from '../records/market.js';
import { createTestApprovalSigner, testCandle, testProduct, testRecommendation } from '../testing/fixtures.js';
import { createManualClock, GRANULARITIES, systemClock } from '../time.js';
import { createPipeline } from './pipeline.js';
import type { PipelineOptions } from './options.js';
import { ImmediateExecutor, LimitRiskManager, ReturnFeatureSet, ScriptedValidator, SlowValidator, ThresholdModel, type ValidatorStep } from './test-doubles.js';
import type { TradeValidator } from '../interfaces.js';

const HOUR = GRANULARITIES.ONE_HOUR;
// closes: flat, +5 % (BUY), flat, −5 % (SELL)
const CLOSES = [100, 100, 105, 105, 99.75];

async function setup(options: { script?: ValidatorStep[]; overrides?: Partial<PipelineOptions>; closes?: number[] } = {}) {
  const clock = createManualClock(testCandle({ index: 0 }).startMs);
  const store = createMemoryStore({ clock });
  await store.putProduct(testProduct());
  const signer = createTestApprovalSigner();
  const validator = new ScriptedValidator('scripted', options.script ?? ['approve']);
  const model = new ThresholdModel();
  const pipeline = createPipeline({
    pipelineId: 'test',
    store,
    clock,
    features: new ReturnFeatureSet(),
    model,
    validator,
    risk: new LimitRiskManager(signer),
    executor: new ImmediateExecutor(signer),
    tuning: { baseBackoffMs: 1_000, maxAttempts: 3 },
    random: () => 0,
    ...options.overrides,
  });
  const candles = (options.closes ?? CLOSES).map((close, index) => testCandle({ index, close, open: close }));
  /** Feeds candles one at a time, as they close, running the pipeline after each. */
  const replay = async (list: Candle[] = candles) => {
    for (const candle of list) {
      clock.set(Math.max(clock.nowMs(), candle.startMs + HOUR));
      await store.putCandles([candle]);
      await pipeline.runUntilIdle();
    }
  };
  return { clock, store, pipeline, validator, model, candles, replay, signer };
}

describe('Pipeline', () => {
  it('runs the stages in order and persists each record before the next stage sees it', async () => {
    const { store, pipeline, replay } = await setup();
    const seen: string[] = [];
    pipeline.on('signal:generated', async ({ signal }) => {
      expect(await store.getSignal(signal.id)).toEqual(signal);
      seen.push(`signal:${signal.action}`);
    });
    pipeline.on('recommendation:validated', async ({ recommendation, validations }) => {
      expect(await store.listValidations(recommendation.id)).toEqual(validations);
      seen.push(`validated:${recommendation.side}`);
    });
    pipeline.on('order:updated', ({ order }) => void seen.push(`order:${order.side}:${order.status}`));
    await replay();
    expect(seen).toEqual([
      'signal:HOLD',
      'signal:BUY',
      'validated:BUY',
      'order:BUY:EXECUTED',
      'signal:HOLD',
      'signal:SELL',
      'validated:SELL',
      'order:SELL:EXECUTED',
    ]);
    expect(await store.countByState('recommendation')).toEqual({ EXECUTED: 2 });
    expect(await store.listPositions()).toEqual([]);
  });

  it('never makes a second signal or order on replay, restart or with a retrained model', async () => {
    const { store, replay, candles, clock, signer } = await setup();
    await replay();
    const retrained = createPipeline({
      pipelineId: 'test',
      store,
      clock,
      features: new ReturnFeatureSet(),
      model: new ThresholdModel('2'),
      validator: new ScriptedValidator('scripted', ['approve']),
      risk: new LimitRiskManager(signer),
      executor: new ImmediateExecutor(signer),
    });
    expect((await store.putCandles(candles)).inserted).toBe(0);
    expect(await retrained.runUntilIdle()).toBe(0);
    expect(await store.countOrdersSince(0)).toBe(2);
  });

  it('lets two replicas race over the same store without doubling any order', async () => {
    const first = await setup();
    const { store, clock, signer, candles } = first;
    const second = createPipeline({
      pipelineId: 'test',
      store,
      clock,
      features: new ReturnFeatureSet(),
      model: new ThresholdModel('2'),
      validator: new ScriptedValidator('scripted', ['approve']),
      risk: new LimitRiskManager(signer),
      executor: new ImmediateExecutor(signer),
    });
    for (const candle of candles) {
      clock.set(candle.startMs + HOUR);
      await store.putCandles([candle]);
      await Promise.all([first.pipeline.runUntilIdle(), second.runUntilIdle()]);
    }
    expect(await store.countOrdersSince(0)).toBe(2);
    expect(await store.countByState('recommendation')).toEqual({ EXECUTED: 2 });
  });

  it('on a manual clock, claims from a stage found empty again only after an earlier stage made progress', async () => {
    const { store, pipeline, candles, clock, replay } = await setup();
    let claims = 0;
    const claim = store.claim.bind(store);
    store.claim = ((query: Parameters<typeof store.claim>[0]) => ((claims += 1), claim(query))) as typeof store.claim;
    expect(await pipeline.runUntilIdle()).toBe(0);
    // Six stages, nothing anywhere: one empty claim each, no second pass.
    expect(claims).toBe(6);
    await replay([candles[0]!]);
    claims = 0;
    clock.set(candles[1]!.startMs + HOUR);
    await store.putCandles([candles[1]!]);
    expect(await pipeline.runUntilIdle()).toBe(2);
    // The candle (signal stage: its item, then an empty claim), its HOLD signal (bridge: the same), four empty stages; the pass that follows claims nothing.
    expect(claims).toBe(8);
  });

  it('retries a transient validation failure after its backoff', async () => {
    const { store, pipeline, replay, clock, validator } = await setup({ script: ['transient', 'approve'], closes: [100, 100, 105] });
    const retried: string[] = [];
    pipeline.on('item:retried', ({ stage, error }) => void retried.push(`${stage}:${error.code}`));
    await replay();
    expect(retried).toEqual(['validation:llm_unavailable']);
    const pending = await store.listRecommendations({ state: 'PENDING_VALIDATION' });
    expect(pending).toHaveLength(1);
    clock.advance(1_000);
    await pipeline.runUntilIdle();
    expect(validator.calls).toBeGreaterThanOrEqual(2);
    expect((await store.getRecommendation(pending[0]!.id))?.status.state).toBe('EXECUTED');
  });

  it('records a fail-closed REJECT when validation retries run out', async () => {
    const { store, pipeline, clock, replay } = await setup({ script: ['transient'], closes: [100, 100, 105] });
    const finished: string[] = [];
    pipeline.on('recommendation:finished', ({ state, reason }) => void finished.push(`${state}:${reason?.split(':')[0]}`));
    await replay();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      clock.advance(10_000);
      await pipeline.runUntilIdle();
    }
    const [recommendation] = await store.listRecommendations({});
    const status = (await store.getRecommendation(recommendation!.id))!.status;
    expect(status).toMatchObject({ state: 'REJECTED', attempt: 3 });
    const [validation] = await store.listValidations(recommendation!.id);
    expect(validation).toMatchObject({ decision: 'REJECT', failure: { kind: 'retries_exhausted' } });
    expect(await store.countOrdersSince(0)).toBe(0);
    expect(finished).toEqual(['REJECTED:retries_exhausted']);
  });

  it('records a permanent validator failure as a REJECT at once, never an approval', async () => {
    const { store, replay } = await setup({ script: ['permanent'], closes: [100, 100, 105] });
    await replay();
    const [recommendation] = await store.listRecommendations({ state: 'REJECTED' });
    const [validation] = await store.listValidations(recommendation!.id);
    expect(validation).toMatchObject({ decision: 'REJECT', failure: { kind: 'validator_error' } });
    expect(await store.countOrdersSince(0)).toBe(0);
  });

  it('needs every plugin validator to approve', async () => {
    const plugin = { name: 'second-opinion', validators: [new ScriptedValidator('cautious', ['reject'])] };
    const { store, replay } = await setup({ overrides: { plugins: [plugin] }, closes: [100, 100, 105] });
    await replay();
    const [recommendation] = await store.listRecommendations({});
    const stored = await store.getRecommendation(recommendation!.id);
    expect(stored?.status).toMatchObject({ state: 'REJECTED' });
    expect(stored?.status.reason).toMatch(/cautious: too risky/);
    expect((await store.listValidations(recommendation!.id)).map((validation) => validation.decision).sort()).toEqual(['APPROVE', 'REJECT']);
  });

  it('expires a recommendation whose time-to-live passed before validation', async () => {
    const { store, pipeline, clock, replay } = await setup({ script: ['transient', 'approve'], closes: [100, 100, 105] });
    await replay();
    clock.advance(11 * 60_000);
    await pipeline.runUntilIdle();
    expect(await store.countByState('recommendation')).toEqual({ EXPIRED: 1 });
  });

  it('survives observers that throw or reject', async () => {
    const { store, pipeline, replay } = await setup({ closes: [100, 100, 105] });
    const failures: string[] = [];
    pipeline.on('signal:generated', () => {
      throw new Error('observer bug');
    });
    pipeline.on('order:updated', async () => Promise.reject(new Error('async observer bug')));
    pipeline.on('listener:failed', ({ event }) => void failures.push(event));
    await replay();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await store.countByState('recommendation')).toEqual({ EXECUTED: 1 });
    expect(failures.sort()).toEqual(['order:updated', 'signal:generated', 'signal:generated']);
  });

  it('writes nothing new for an item aborted by stop()', async () => {
    const { store, pipeline, clock, candles, validator } = await setup({ script: ['hang'], overrides: { stages: ['signal', 'bridge', 'validation'] }, closes: [100, 100, 105] });
    clock.set(candles.at(-1)!.startMs + HOUR);
    await store.putCandles(candles);
    await pipeline.start();
    for (let waited = 0; validator.calls === 0 && waited < 200; waited += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(validator.calls).toBe(1);
    await pipeline.stop({ drainTimeoutMs: 10 });
    const [recommendation] = await store.listRecommendations({});
    expect((await store.getRecommendation(recommendation!.id))?.status).toMatchObject({ state: 'PENDING_VALIDATION', attempt: 0 });
    expect(await store.listValidations(recommendation!.id)).toEqual([]);
  });

  it('checks its slots when built', () => {
    const store = createMemoryStore();
    const codeOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return isTradepipeError(error) ? error.code : 'other';
      }
      return undefined;
    };
    expect(codeOf(() => createPipeline({ pipelineId: 'x', store, stages: ['signal'], features: new ReturnFeatureSet() }))).toBe('pipeline_invalid');
    const mismatched = Object.assign(new ThresholdModel(), { featureNames: ['close', 'volume'] });
    expect(codeOf(() => createPipeline({ pipelineId: 'x', store, features: new ReturnFeatureSet(), model: mismatched }))).toBe('pipeline_invalid');
    expect(() => createPipeline({ pipelineId: 'x', store, features: new ReturnFeatureSet(), model: mismatched })).toThrow(/'volume'/);
    expect(codeOf(() => createPipeline({ pipelineId: 'bad id!', store }))).toBe('pipeline_invalid');
    expect(createPipeline({ pipelineId: 'bridge-only', store }).stages).toEqual(['bridge']);
  });

  it('keeps the lease of a slow item so another replica cannot take it', async () => {
    const store = createMemoryStore();
    await store.putProduct(testProduct());
    const signer = createTestApprovalSigner();
    const slow = new SlowValidator(600);
    const other = new ScriptedValidator('other', ['approve']);
    const build = (validator: TradeValidator) =>
      createPipeline({ pipelineId: 'test', store, validator, stages: ['validation'], tuning: { leaseMs: 150 }, risk: new LimitRiskManager(signer) });
    const recommendation = testRecommendation({ createdAtMs: systemClock.nowMs(), expiresAtMs: systemClock.nowMs() + 60_000 });
    await store.insertRecommendation(recommendation, 'PENDING_VALIDATION');
    const first = build(slow).runUntilIdle();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await build(other).runUntilIdle()).toBe(0);
    await first;
    expect(other.calls).toBe(0);
    expect((await store.getRecommendation(recommendation.id))?.status.state).toBe('PENDING_RISK');
  });

  it('refuses to run when its clock and the clock of its store disagree', async () => {
    const store = createMemoryStore({ clock: createManualClock(Date.UTC(2024, 0, 1)) });
    const pipeline = createPipeline({ pipelineId: 'test', store, clock: createManualClock(Date.UTC(2025, 0, 1)), stages: ['bridge'] });
    const error = await pipeline.runUntilIdle().catch((thrown: unknown) => thrown);
    expect(isTradepipeError(error, 'pipeline_invalid')).toBe(true);
  });

  it('reports every end of a recommendation, including bridge rejects and failures', async () => {
    // A BUY that the validator rejects (it fails permanently), then a SELL with nothing held, rejected at the bridge.
    const { pipeline, replay } = await setup({ script: ['permanent'], closes: [100, 100, 105, 99] });
    const finished: string[] = [];
    pipeline.on('recommendation:finished', ({ recommendation, state }) => void finished.push(`${recommendation.side}:${state}`));
    await replay();
    expect(finished.sort()).toEqual(['BUY:REJECTED', 'SELL:REJECTED']);
  });

  it('stores a custom verdict under the id the pipeline gives it, whatever id it carries', async () => {
    const careless: TradeValidator = {
      name: 'careless',
      validate: async (input, context) => ({ ...createValidation({ recommendation: input.recommendation, validator: 'x', decision: 'APPROVE', reasons: ['ok'], nowMs: context.clock.nowMs() }), id: 'constant' }),
    };
    const { store, replay } = await setup({ overrides: { validator: careless }, closes: [100, 100, 105, 105, 110.25] });
    await replay();
    const recommendations = await store.listRecommendations({});
    expect(recommendations).toHaveLength(2);
    for (const recommendation of recommendations) {
      expect((await store.getRecommendation(recommendation.id))?.status.state).toBe('EXECUTED');
      expect((await store.listValidations(recommendation.id))[0]).toMatchObject({ id: recordId('validation', [recommendation.id, 'careless']), validator: 'careless' });
    }
  });

  it('starts the executor once before the first execution', async () => {
    const signer = createTestApprovalSigner();
    const executor = Object.assign(new ImmediateExecutor(signer), { starts: 0, async start() { this.starts += 1; } });
    const { pipeline, replay } = await setup({ overrides: { executor }, closes: [100, 100, 105] });
    await replay();
    await pipeline.runUntilIdle();
    expect(executor.starts).toBe(1);
  });
});
