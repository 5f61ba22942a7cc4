// The validator's context: its signal is made only when the validator reads it, and then aborts as before (at
// the recommendation's expiry, at once if that has passed).
import { describe, expect, it } from 'vitest';
import { isTradepipeError } from '../../errors.js';
import type { StageContext, TradeValidator, ValidationInput } from '../../interfaces.js';
import { createMemoryStore } from '../../memory-store.js';
import { testProduct, testRecommendation } from '../../testing/fixtures.js';
import { createManualClock, systemClock, type Clock } from '../../time.js';
import { createValidation } from '../../validation-records.js';
import { createPipeline } from '../pipeline.js';

/** A validator that runs `onCall` on its context, then approves. */
function approving(onCall: (context: StageContext, input: ValidationInput) => Promise<void> | void): TradeValidator {
  return {
    name: 'llm',
    async validate(input, context) {
      await onCall(context, input);
      return createValidation({ recommendation: input.recommendation, validator: 'llm', decision: 'APPROVE', reasons: ['ok'], nowMs: context.clock.nowMs() });
    },
  };
}

/** Runs validation once for one fresh recommendation with `validator`, on `clock`. */
async function validateOnce(validator: TradeValidator, clock: Clock): Promise<void> {
  const store = createMemoryStore({ clock });
  await store.putProduct(testProduct());
  const nowMs = clock.nowMs();
  const recommendation = testRecommendation({ createdAtMs: nowMs, expiresAtMs: nowMs + 60_000 });
  await store.insertRecommendation(recommendation, 'PENDING_VALIDATION');
  const pipeline = createPipeline({ pipelineId: 'test', store, clock, validator, stages: ['validation'] });
  expect(await pipeline.runUntilIdle()).toBe(1);
  expect((await store.getRecommendation(recommendation.id))?.status.state).toBe('PENDING_RISK');
}

/** The process's active timers. */
function timers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

describe("the validator's context", () => {
  it('makes the expiry wait only when the validator reads the signal', async () => {
    let before = -1;
    let after = -1;
    let enumerable = false;
    await validateOnce(
      approving((context) => {
        before = timers();
        enumerable = Object.keys(context).includes('signal');
        void context.signal; // the first read makes the signal and its expiry timer
        after = timers();
      }),
      systemClock,
    );
    expect(enumerable).toBe(true);
    expect(after).toBe(before + 1);
  });

  it('gives a signal already aborted by the expiry when first read after the recommendation expired', async () => {
    const clock = createManualClock(testRecommendation().createdAtMs);
    let reason: unknown;
    await validateOnce(
      approving((context, input) => {
        clock.advance(input.recommendation.expiresAtMs - clock.nowMs() + 1);
        reason = context.signal.reason;
      }),
      clock,
    );
    expect(isTradepipeError(reason, 'aborted') && reason.details['expired']).toBe(true);
  });

  it('aborts a signal read before the expiry when the recommendation expires during the call', async () => {
    const clock = createManualClock(testRecommendation().createdAtMs);
    let abortedAtRead = true;
    let reason: unknown;
    await validateOnce(
      approving(async (context, input) => {
        const { signal } = context;
        abortedAtRead = signal.aborted;
        const aborted = new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        clock.advance(input.recommendation.expiresAtMs - clock.nowMs() + 1);
        await aborted;
        reason = signal.reason;
      }),
      clock,
    );
    expect(abortedAtRead).toBe(false);
    expect(isTradepipeError(reason, 'aborted') && reason.details['expired']).toBe(true);
  });

  it('gives a signal already aborted when first read after the call ended (a background task kept the context)', async () => {
    const clock = createManualClock(testRecommendation().createdAtMs);
    let kept: StageContext | undefined;
    await validateOnce(
      approving((context) => {
        kept = context;
      }),
      clock,
    );
    const signal = kept!.signal;
    expect(signal.aborted).toBe(true);
    expect(isTradepipeError(signal.reason, 'aborted')).toBe(true);
  });
});
