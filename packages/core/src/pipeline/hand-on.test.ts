import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../memory-store.js';
import type { ClaimRequest, PipelineStore } from '../store.js';
import { testProduct } from '../testing/fixtures.js';
import { HandOns, type HandOnReceiver } from './hand-on.js';
import { LimitRiskManager, createLiveTestPipeline, tradingCandles } from './test-doubles.js';

/** A memory store counting the items its claims took, by state; without `completeAndClaim` when `withoutHandOn`. */
function countingStore(withoutHandOn: boolean): { store: PipelineStore; claimedByState: Map<string, number>; handOns: () => number } {
  const claimedByState = new Map<string, number>();
  let handOns = 0;
  const store = new Proxy(createMemoryStore(), {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (key === 'completeAndClaim') {
        if (withoutHandOn) return undefined;
        return async (...args: Parameters<NonNullable<PipelineStore['completeAndClaim']>>) => {
          const handed = await target.completeAndClaim!(...args);
          if (handed !== undefined) handOns += 1;
          return handed;
        };
      }
      if (key !== 'claim') return value;
      return async (request: ClaimRequest) => {
        const claims = await target.claim(request);
        claimedByState.set(request.state, (claimedByState.get(request.state) ?? 0) + claims.length);
        return claims;
      };
    },
  }) as PipelineStore;
  return { store, claimedByState, handOns: () => handOns };
}

/** A risk manager that takes `delayMs` over each decision (a busy risk stage). */
class SlowRiskManager extends LimitRiskManager {
  constructor(
    signer: ConstructorParameters<typeof LimitRiskManager>[0],
    private readonly delayMs: number,
  ) {
    super(signer, 1e12);
  }

  override async assess(...args: Parameters<LimitRiskManager['assess']>): ReturnType<LimitRiskManager['assess']> {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return super.assess(...args);
  }
}

/** A started live pipeline on `store` (one item per stage at a time with `concurrency: 1`; risk slow with `riskDelayMs`). */
async function startLive(store: PipelineStore, options: { readonly concurrency?: number; readonly riskDelayMs?: number } = {}) {
  await store.putProduct(testProduct());
  const pipeline = createLiveTestPipeline(store, {
    pipelineId: 'hand-on',
    ...(options.riskDelayMs === undefined ? {} : { risk: (signer) => new SlowRiskManager(signer, options.riskDelayMs!) }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
  await pipeline.start();
  return pipeline;
}

/** Feeds `count` trading candles one at a time to a started live pipeline; each recommendation's final state. */
async function runLive(store: PipelineStore, count: number): Promise<string[]> {
  const pipeline = await startLive(store);
  const finished = new Map<number, (state: string) => void>();
  pipeline.on('recommendation:finished', ({ recommendation, state }) => finished.get(recommendation.candleStartMs)?.(state));
  const states: string[] = [];
  try {
    const [first, ...rest] = tradingCandles(count + 1);
    await store.putCandles([first!]);
    for (const candle of rest) {
      const done = new Promise<string>((resolve) => finished.set(candle.startMs, resolve));
      await store.putCandles([candle]);
      states.push(await done);
    }
  } finally {
    await pipeline.stop({ drainTimeoutMs: 1_000 });
  }
  return states;
}

describe('hand-ons', () => {
  // With a one-minute poll interval, an item handed on but never run would outlast the test.
  it('a completion into an unordered stage\'s state, or writing its work, hands the item to that stage: it claims none, every candle trades', async () => {
    const { store, claimedByState, handOns } = countingStore(false);
    expect(await runLive(store, 8)).toEqual(Array(8).fill('EXECUTED'));
    // The bridge's new recommendation → validation, validation → risk, risk → execution: handed on, not claimed.
    expect(claimedByState.get('PENDING_VALIDATION') ?? 0).toBe(0);
    expect(claimedByState.get('PENDING_RISK') ?? 0).toBe(0);
    expect(claimedByState.get('PENDING_EXECUTION') ?? 0).toBe(0);
    expect(handOns()).toBe(24);
    // The ordered stages (signal, bridge) claim as before.
    expect(claimedByState.get('PENDING')).toBeGreaterThanOrEqual(16);
  });

  // With a one-minute poll interval, an item completed for a busy stage that nobody woke would outlast the test.
  it('hands nothing to a stage whose slots are full: the item is completed, wakes the stage, and is claimed when a slot frees', async () => {
    const { store, claimedByState, handOns } = countingStore(false);
    const pipeline = await startLive(store, { concurrency: 1, riskDelayMs: 20 });
    const finished = new Map<number, (state: string) => void>();
    pipeline.on('recommendation:finished', ({ recommendation, state }) => finished.get(recommendation.candleStartMs)?.(state));
    try {
      const [first, ...burst] = tradingCandles(7);
      await store.putCandles([first!]);
      const done = burst.map((candle) => new Promise<string>((resolve) => finished.set(candle.startMs, resolve)));
      await store.putCandles(burst);
      // A SELL may be refused when its BUY has not filled yet (the bridge runs ahead of a slow risk stage).
      for (const state of await Promise.all(done)) expect(['EXECUTED', 'REJECTED']).toContain(state);
    } finally {
      await pipeline.stop({ drainTimeoutMs: 60_000 });
    }
    // Risk was busy when validation finished some: those were completed, then claimed by risk's worker.
    expect(claimedByState.get('PENDING_RISK') ?? 0).toBeGreaterThan(0);
    expect(handOns()).toBeGreaterThan(0);
  }, 30_000);

  it('gives back an item handed on while the receiving stage began to stop: it is not run, and it is claimable at the next start', async () => {
    // Risk's completion into PENDING_EXECUTION is held until stopping has begun (the slot was taken before).
    const inner = createMemoryStore();
    let reachedGate: () => void = () => undefined;
    const atGate = new Promise<void>((resolve) => (reachedGate = resolve));
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let handedWhileStopping = 0;
    const store = new Proxy(inner, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (key !== 'completeAndClaim') return value;
        return async (...args: Parameters<NonNullable<PipelineStore['completeAndClaim']>>) => {
          if (args[1].state !== 'PENDING_EXECUTION') return target.completeAndClaim!(...args);
          reachedGate();
          await gate;
          const handed = await target.completeAndClaim!(...args);
          if (handed !== undefined) handedWhileStopping += 1;
          return handed;
        };
      },
    }) as PipelineStore;
    const pipeline = await startLive(store);
    const [first, second] = tradingCandles(2);
    await store.putCandles([first!]);
    await store.putCandles([second!]);
    await atGate;
    const stopped = pipeline.stop({ drainTimeoutMs: 10_000 });
    openGate();
    await stopped;
    expect(handedWhileStopping).toBe(1);
    expect(await store.listOrders({})).toEqual([]);
    const [recommendation] = await store.listRecommendations({});
    expect((await store.getWorkStatus('recommendation', recommendation!.id))?.state).toBe('PENDING_EXECUTION');
    // Given back, not left leased: claimable at once.
    const claims = await store.claim({ kind: 'recommendation', state: 'PENDING_EXECUTION', workerId: 'next-start', leaseMs: 60_000, limit: 1 });
    expect(claims.map((claim) => claim.id)).toEqual([recommendation!.id]);
  });

  it('a store without completeAndClaim completes, and the next stage claims as before', async () => {
    const { store, claimedByState } = countingStore(true);
    expect(await runLive(store, 4)).toEqual(Array(4).fill('EXECUTED'));
    expect(claimedByState.get('PENDING_VALIDATION')).toBe(4);
    expect(claimedByState.get('PENDING_RISK')).toBe(4);
    expect(claimedByState.get('PENDING_EXECUTION')).toBe(4);
  });

  it('has no receiver for a state two running stages take, and a removed receiver receives nothing', () => {
    const receiver = (workerId: string): HandOnReceiver => ({ workerId, reserve: () => true, run: () => undefined, unreserve: () => undefined });
    const handOns = new HandOns();
    const risk = receiver('risk');
    const remove = handOns.register('recommendation', 'PENDING_RISK', risk);
    expect(handOns.receiverFor('recommendation', 'PENDING_RISK')).toBe(risk);
    expect(handOns.receiverFor('signal', 'PENDING_RISK')).toBeUndefined();
    handOns.register('recommendation', 'PENDING_RISK', receiver('plugin'));
    expect(handOns.receiverFor('recommendation', 'PENDING_RISK')).toBeUndefined();
    remove();
    expect(handOns.receiverFor('recommendation', 'PENDING_RISK')).toBeUndefined();
    const execution = receiver('execution');
    handOns.register('recommendation', 'PENDING_EXECUTION', execution)();
    expect(handOns.receiverFor('recommendation', 'PENDING_EXECUTION')).toBeUndefined();
  });
});
