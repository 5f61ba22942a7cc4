// Dead letters re-queued by an operator go through the stages as any item does: a candle whose model was fixed
// makes its signal, and a recommendation re-queued past its time-to-live ends EXPIRED without a risk call.
import { describe, expect, it } from 'vitest';
import { TradepipeError } from '../errors.js';
import type { FeatureVector } from '../records/market.js';
import { createMemoryStore } from '../memory-store.js';
import { candleWorkId } from '../store.js';
import { createTestApprovalSigner, testCandle, testProduct, testRecommendation } from '../testing/fixtures.js';
import { createManualClock, GRANULARITIES } from '../time.js';
import { createPipeline } from './pipeline.js';
import { LimitRiskManager, ReturnFeatureSet, ThresholdModel } from './test-doubles.js';

/** A model that fails for good until it is fixed. */
class BrokenModel extends ThresholdModel {
  broken = true;
  override async predict(vector: FeatureVector) {
    if (this.broken) throw new TradepipeError('model_failed', 'the model file is corrupt');
    return super.predict(vector);
  }
}

describe('a re-queued dead letter', () => {
  it('runs again through its stage: a candle dead-lettered by a broken model makes its signal once the model is fixed', async () => {
    const candles = [0, 1].map((index) => testCandle({ index, close: 100 + index * 3 }));
    const clock = createManualClock(candles[1]!.startMs + 2 * GRANULARITIES.ONE_HOUR);
    const store = createMemoryStore({ clock });
    await store.putProduct(testProduct());
    await store.putCandles(candles);
    const model = new BrokenModel();
    const pipeline = createPipeline({ pipelineId: 'test', store, clock, features: new ReturnFeatureSet(), model, stages: ['signal'] });
    await pipeline.runUntilIdle();
    const dead = await store.listDeadLetters({ kind: 'candle' });
    expect(dead.map((letter) => [letter.id, letter.fromState, letter.lastError?.code])).toContainEqual([candleWorkId(candles[1]!), 'PENDING', 'model_failed']);
    expect((await pipeline.health()).checks.find((check) => check.name === 'dead_letters')?.status).toBe('degraded');

    model.broken = false;
    for (const letter of dead) await store.requeueDeadLetter('candle', letter.id, { reason: 'model file replaced' });
    await pipeline.runUntilIdle();
    expect(await store.countByState('candle')).toEqual({ DONE: 2 });
    expect(model.predictions).toBeGreaterThan(0);
    expect((await pipeline.health()).checks.find((check) => check.name === 'dead_letters')).toMatchObject({ status: 'ok', value: 0 });
  });

  it('ends a recommendation re-queued past its time-to-live EXPIRED at its stage, with no risk call', async () => {
    const recommendation = testRecommendation();
    const clock = createManualClock(recommendation.createdAtMs);
    const store = createMemoryStore({ clock });
    await store.putProduct(testProduct());
    await store.insertRecommendation(recommendation, 'PENDING_RISK');
    const [claim] = await store.claim({ kind: 'recommendation', state: 'PENDING_RISK', workerId: 'w', leaseMs: 1_000, limit: 1 });
    await store.fail(claim!, { error: { code: 'storage_unavailable', message: 'down' }, retryable: true, maxAttempts: 1, backoffMs: 0, terminalState: 'DEAD_LETTER' });
    clock.advance(recommendation.expiresAtMs - recommendation.createdAtMs + 1);
    let assessed = 0;
    const risk = new LimitRiskManager(createTestApprovalSigner());
    const counting = { name: risk.name, assess: (...args: Parameters<typeof risk.assess>) => ((assessed += 1), risk.assess(...args)) };
    const pipeline = createPipeline({ pipelineId: 'test', store, clock, risk: counting, stages: ['risk'] });
    expect((await store.requeueDeadLetter('recommendation', recommendation.id, { reason: 'store back' })).state).toBe('PENDING_RISK');
    await pipeline.runUntilIdle();
    expect((await store.getRecommendation(recommendation.id))?.status.state).toBe('EXPIRED');
    expect(assessed).toBe(0);
  });
});
