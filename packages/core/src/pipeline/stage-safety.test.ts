// Stage-level money-safety regressions (issue 13): a worker that lost its lease stops, a candle is never acted
// on before it closes, and an expired recommendation costs no LLM call.
import { describe, expect, it } from 'vitest';
import { TradepipeError, isTradepipeError } from '../errors.js';
import { recordId } from '../ids.js';
import type { StageContext, TradeValidator, ValidationInput } from '../interfaces.js';
import { createMemoryStore } from '../memory-store.js';
import { candleWorkId } from '../store.js';
import { createTestApprovalSigner, testCandle, testProduct, testRecommendation } from '../testing/fixtures.js';
import { createManualClock, GRANULARITIES } from '../time.js';
import { createValidation } from '../validation-records.js';
import { createPipeline } from './pipeline.js';
import { ImmediateExecutor, LimitRiskManager, ReturnFeatureSet, ThresholdModel } from './test-doubles.js';

const HOUR = GRANULARITIES.ONE_HOUR;

/** Approves, after moving the manual clock `latencyMs` (an LLM answering on the injected clock). */
function approving(name: string, onCall: (input: ValidationInput, context: StageContext) => Promise<void> | void = () => undefined): TradeValidator & { calls: number } {
  return {
    name,
    calls: 0,
    async validate(input, context) {
      this.calls += 1;
      await onCall(input, context);
      return createValidation({ recommendation: input.recommendation, validator: name, decision: 'APPROVE', reasons: ['ok'], nowMs: context.clock.nowMs() });
    },
  };
}

/** Waits, in real time, until `ready` holds or `budgetMs` passes. */
async function waitFor(ready: () => boolean, budgetMs = 10_000): Promise<void> {
  for (const startedAtMs = Date.now(); !ready() && Date.now() - startedAtMs < budgetMs; ) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('a worker that lost its lease', () => {
  it('is aborted through its signal and writes nothing, while the replica that took over finishes the item', async () => {
    const clock = createManualClock(testRecommendation().createdAtMs);
    const store = createMemoryStore({ clock });
    await store.putProduct(testProduct());
    const recommendation = testRecommendation();
    await store.insertRecommendation(recommendation, 'PENDING_VALIDATION');
    let abortReason: unknown;
    const stuck = approving('llm', (_input, context) =>
      new Promise<void>((resolve) => context.signal.addEventListener('abort', () => ((abortReason = context.signal.reason), resolve()), { once: true })),
    );
    const build = (validator: TradeValidator) => createPipeline({ pipelineId: 'test', store, clock, validator, stages: ['validation'], tuning: { leaseMs: 300 } });
    const paused = build(stuck).runUntilIdle();
    await waitFor(() => stuck.calls === 1);
    clock.advance(1_000); // the paused worker's lease runs out; a replica takes the item over
    const replica = approving('llm');
    expect(await build(replica).runUntilIdle()).toBe(1);
    await waitFor(() => abortReason !== undefined);
    expect(isTradepipeError(abortReason) ? abortReason.code : abortReason).toBe('lease_lost');
    await paused;
    expect((await store.getRecommendation(recommendation.id))?.status).toMatchObject({ state: 'PENDING_RISK', attempt: 0 });
    expect(await store.listValidations(recommendation.id)).toHaveLength(1);
  });
});

describe('a candle that has not closed at the store clock', () => {
  it('is refused by the signal stage with candle_not_closed, and makes no signal', async () => {
    const candles = [0, 1, 2, 3].map((index) => testCandle({ index, close: 100 + index * 3 }));
    const clock = createManualClock(candles[1]!.startMs + HOUR); // candles 2 and 3 have not closed yet
    const store = createMemoryStore({ clock });
    await store.putProduct(testProduct());
    const stored = await store.putCandles(candles).catch((error: unknown) => error);
    if (isTradepipeError(stored)) {
      // A store that refuses unclosed candles itself (both packaged stores, once they do) leaves the stage nothing to refuse.
      expect(stored.code).toBe('candle_not_closed');
      await store.putCandles(candles.slice(0, 2));
    }
    const pipeline = createPipeline({ pipelineId: 'test', store, clock, features: new ReturnFeatureSet(), model: new ThresholdModel(), stages: ['signal'] });
    await pipeline.runUntilIdle();
    const signalId = (index: number) => recordId('signal', ['test', 'BTC-USD', 'ONE_HOUR', candles[index]!.startMs]);
    expect(await store.getSignal(signalId(1))).toBeDefined();
    expect(await store.getSignal(signalId(2))).toBeUndefined();
    expect(await store.getSignal(signalId(3))).toBeUndefined();
    if (isTradepipeError(stored)) return;
    const status = await store.getWorkStatus('candle', candleWorkId(candles[2]!));
    expect(status).toMatchObject({ state: 'DEAD_LETTER', lastError: { code: 'candle_not_closed' } });
  });
});

describe('a backlog of recommendations whose time-to-live passes while the LLM answers', () => {
  it('calls the validator only for those still alive at the call, and expires the rest without a call', async () => {
    const clock = createManualClock(testRecommendation().createdAtMs);
    const store = createMemoryStore({ clock });
    await store.putProduct(testProduct());
    const backlog = Array.from({ length: 60 }, (_, index) => testRecommendation({ index, createdAtMs: clock.nowMs(), expiresAtMs: clock.nowMs() + 10_000 }));
    for (const recommendation of backlog) await store.insertRecommendation(recommendation, 'PENDING_VALIDATION');
    const llm = approving('llm', () => clock.advance(1_000)); // each answer takes a second
    const pipeline = createPipeline({ pipelineId: 'test', store, clock, validator: llm, stages: ['validation'], tuning: { claimBatchSize: 100 } });
    const expired: string[] = [];
    pipeline.on('recommendation:expired', ({ recommendation }) => void expired.push(recommendation.id));
    await pipeline.runUntilIdle();
    expect(llm.calls).toBeLessThanOrEqual(11);
    const states = await store.countByState('recommendation');
    expect(states.PENDING_RISK).toBe(llm.calls);
    expect(states.EXPIRED).toBe(backlog.length - llm.calls);
    expect(expired).toHaveLength(backlog.length - llm.calls);
  });

  it('never calls the validator for an expired recommendation whose previous attempt failed', async () => {
    const clock = createManualClock(testRecommendation().createdAtMs);
    const store = createMemoryStore({ clock });
    const recommendation = testRecommendation({ expiresAtMs: clock.nowMs() + 5_000 });
    await store.insertRecommendation(recommendation, 'PENDING_VALIDATION');
    let calls = 0;
    const flaky: TradeValidator = {
      name: 'flaky',
      async validate() {
        calls += 1;
        clock.advance(6_000);
        throw new TradepipeError('llm_unavailable', 'timed out');
      },
    };
    const pipeline = createPipeline({ pipelineId: 'test', store, clock, validator: flaky, stages: ['validation'], tuning: { baseBackoffMs: 1_000 } });
    await pipeline.runUntilIdle();
    clock.advance(2_000);
    await pipeline.runUntilIdle();
    expect(calls).toBe(1);
    expect((await store.getRecommendation(recommendation.id))?.status.state).toBe('EXPIRED');
  });
});

describe('a recommendation that expires before risk or execution', () => {
  it('ends EXPIRED without an assessment or an order', async () => {
    const clock = createManualClock(testRecommendation().createdAtMs);
    const store = createMemoryStore({ clock });
    await store.putProduct(testProduct());
    const signer = createTestApprovalSigner();
    const atRisk = testRecommendation({ index: 0, createdAtMs: clock.nowMs(), expiresAtMs: clock.nowMs() + 1_000 });
    const atExecution = testRecommendation({ index: 1, createdAtMs: clock.nowMs(), expiresAtMs: clock.nowMs() + 1_000 });
    await store.insertRecommendation(atRisk, 'PENDING_RISK');
    await store.insertRecommendation(atExecution, 'PENDING_EXECUTION');
    const calls: string[] = [];
    const risk = new LimitRiskManager(signer);
    const executor = new ImmediateExecutor(signer);
    const pipeline = createPipeline({
      pipelineId: 'test',
      store,
      clock,
      risk: { name: 'counting', assess: (recommendation, context) => (calls.push('assess'), risk.assess(recommendation, context)) },
      executor: { name: 'counting', venue: 'paper', execute: (input, context) => (calls.push('execute'), executor.execute(input, context)), refresh: (order) => executor.refresh(order) },
      stages: ['risk', 'execution'],
    });
    clock.advance(2_000);
    await pipeline.runUntilIdle();
    expect(calls).toEqual([]);
    expect(await store.countByState('recommendation')).toEqual({ EXPIRED: 2 });
    expect(await store.getRiskAssessment(atRisk.id)).toBeUndefined();
    expect(await store.listOrders({})).toEqual([]);
  });
});
