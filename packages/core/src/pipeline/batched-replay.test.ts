import fc from 'fast-check';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { decimal } from '../decimal.js';
import { recordId } from '../ids.js';
import { TradepipeError } from '../errors.js';
import type { ExitPolicy, FeatureRows, ModelPrediction, PredictionColumns, RecommendationPolicy, SignalModel } from '../interfaces.js';
import type { FeatureVector } from '../records/market.js';
import { createDefaultRecommendationPolicy } from '../recommendation-policy.js';
import type { Signal } from '../records/trading.js';
import { createMemoryStore } from '../memory-store.js';
import type { Candle } from '../records/market.js';
import { createTestApprovalSigner, testCandle, testProduct } from '../testing/fixtures.js';
import { createManualClock, GRANULARITIES } from '../time.js';
import { replayCandlesBatched } from './batched-replay.js';
import type { PipelineEvents } from './events.js';
import { createPipeline } from './pipeline.js';
import { wrapEveryStage, wrapStage, type PipelinePlugin } from './plugins.js';
import { replayCandles } from './replay.js';
import { replayAccessOf } from './replay-access.js';
import { collectReplayRecords } from './replay-records.js';
import { FastReturnFeatureSet, ImmediateExecutor, LimitRiskManager, ReturnFeatureSet, RowsThresholdModel, ScriptedValidator, ThresholdModel } from './test-doubles.js';

fc.configureGlobal({ seed: 20261128, numRuns: 12 });

const HOUR = GRANULARITIES.ONE_HOUR;

/** Sells everything once the close falls 3 % under the average entry. */
const stopLoss: ExitPolicy = {
  name: 'stop-3pc',
  lookbackCandles: 3,
  evaluate({ candle, position, recentCandles, pipelineId, nowMs }) {
    if (recentCandles.at(-1)?.startMs !== candle.startMs) throw new Error('recent candles must end with the candle');
    if (candle.close >= Number(position.averageEntryPrice) * 0.97) return undefined;
    return {
      id: recordId('recommendation', [pipelineId, candle.productId, candle.granularity, candle.startMs, 'exit']),
      pipelineId,
      productId: candle.productId,
      granularity: candle.granularity,
      candleStartMs: candle.startMs,
      side: 'SELL',
      intent: 'reduce',
      origin: { type: 'exit', rule: 'stop_loss' },
      quoteAmount: decimal('1'),
      baseSize: position.sizeBase,
      referencePrice: candle.close,
      createdAtMs: nowMs,
      expiresAtMs: nowMs + 600_000,
    };
  },
};

function candlesFrom(returns: readonly number[]): Candle[] {
  let close = 100;
  return returns.map((change, index) => {
    const open = close;
    close = Math.max(1, Math.round(close * (1 + change) * 100) / 100);
    return testCandle({ index, open, close, high: Math.max(open, close) + 0.5, low: Math.max(0.01, Math.min(open, close) - 0.5) });
  });
}

/** `added`: only a recommendation listener at first, which adds the candle and signal listeners on its first call. */
async function run(mode: 'batched' | 'reference', candles: readonly Candle[], chunkCandles: number, listeners: 'all' | 'added' = 'all', policy?: RecommendationPolicy, extra: { readonly model?: SignalModel; readonly plugins?: readonly PipelinePlugin[]; readonly features?: ReturnFeatureSet } = {}) {
  const history = candles.slice(0, 20);
  const replayed = candles.slice(20);
  const clock = createManualClock(replayed[0]!.startMs);
  const store = createMemoryStore({ clock });
  await store.putProduct(testProduct());
  await store.putCandles(history, { state: 'DONE' });
  const signer = createTestApprovalSigner();
  const pipeline = createPipeline({
    pipelineId: 'batched-test',
    store,
    clock,
    features: extra.features ?? new ReturnFeatureSet(),
    model: extra.model ?? new ThresholdModel(),
    validator: new ScriptedValidator('rules', ['approve', 'reject', 'approve']),
    risk: new LimitRiskManager(signer, 350),
    exits: stopLoss,
    executor: new ImmediateExecutor(signer),
    tuning: { checkpointEveryCandles: 7 },
    random: () => 0,
    ...(policy === undefined ? {} : { policy }),
    ...(extra.plugins === undefined ? {} : { plugins: extra.plugins }),
  });
  const events: string[] = [];
  const listen = (event: keyof PipelineEvents): void => void pipeline.on(event, (payload: PipelineEvents[typeof event]) => void events.push(`${event} ${JSON.stringify(payload)}`));
  if (listeners === 'all') for (const event of ['candle:processed', 'signal:generated', 'recommendation:created', 'recommendation:finished', 'order:updated'] as const) listen(event);
  else {
    let added = false;
    pipeline.on('recommendation:created', (payload) => {
      events.push(`recommendation:created ${JSON.stringify(payload)}`);
      if (added) return;
      added = true;
      listen('candle:processed');
      listen('signal:generated');
    });
  }
  const result =
    mode === 'batched'
      ? await replayCandlesBatched({ pipeline, store, clock, candles: replayed, chunkCandles })
      : { ...(await replayCandles({ pipeline, store, clock, candles: replayed })), quietCandles: 0, fullPathCandles: replayed.length, candleByCandle: false };
  const checkpoint = await store.loadCheckpoint(`features/batched-test/test-2/BTC-USD/ONE_HOUR`);
  return { records: await collectReplayRecords(store, { pipelineId: 'batched-test', candles }), events, result, checkpoint: checkpoint?.value, clockMs: clock.nowMs(), deadLetters: await store.listDeadLetters() };
}

/**
 * Candles of the given returns, the first 20 stored as history, and a signal + bridge pipeline on a memory store (by
 * default 60 candles, the set and model of the store-view tests).
 */
async function signalBridgePipeline(options: { readonly returns?: readonly number[]; readonly pipelineId?: string; readonly features?: ReturnFeatureSet; readonly model?: SignalModel } = {}) {
  const candles = candlesFrom(options.returns ?? Array.from({ length: 60 }, (_, index) => Math.sin(index) * 0.02));
  const clock = createManualClock(candles[20]!.startMs);
  const store = createMemoryStore({ clock });
  await store.putProduct(testProduct());
  await store.putCandles(candles.slice(0, 20), { state: 'DONE' });
  const pipeline = createPipeline({ pipelineId: options.pipelineId ?? 'view', store, clock, features: options.features ?? new ReturnFeatureSet(), model: options.model ?? new ThresholdModel(), stages: ['signal', 'bridge'] });
  return { candles, clock, store, pipeline };
}

/** Candle returns of a replay: slow falls (−0.9 % a candle, HOLD to the model) make the stop-loss fire on otherwise quiet candles. */
const replayReturns = fc.array(fc.oneof(fc.double({ min: -0.04, max: 0.04, noNaN: true }), fc.constant(-0.009), fc.constant(0.005)), { minLength: 25, maxLength: 260 });

/** A kind of prediction no signal takes (as an ONNX or plain-JS model can give it). */
type Flaw = 'action' | 'nan' | 'seven' | 'probability' | 'undefined' | 'null' | 'contradiction' | 'sum';

/** `prediction` with one flaw: an unknown action, a confidence of NaN or 7, a probability of 1.5, no prediction at all, a BUY its own probabilities call the least likely, probabilities that sum to 0.6. */
function withFlaw(prediction: ModelPrediction, flaw: Flaw): ModelPrediction {
  if (flaw === 'action') return { ...prediction, action: 'hold' as never };
  if (flaw === 'nan') return { ...prediction, confidence: Number.NaN };
  if (flaw === 'seven') return { ...prediction, confidence: 7 };
  if (flaw === 'undefined') return undefined as never;
  if (flaw === 'null') return null as never;
  if (flaw === 'contradiction') return { action: 'BUY', confidence: 1, probabilities: { BUY: 0, SELL: 0, HOLD: 1 } };
  if (flaw === 'sum') return { ...prediction, probabilities: { BUY: 0.2, SELL: 0.2, HOLD: 0.2 } };
  return { ...prediction, probabilities: { BUY: 0.1, SELL: 1.5, HOLD: 0.2 } };
}

/** The same records, events, final feature checkpoint and clock as the candle-by-candle replay. */
function expectSameAsReference(batched: Awaited<ReturnType<typeof run>>, reference: Awaited<ReturnType<typeof run>>): void {
  expect(batched.records).toEqual(reference.records);
  expect(batched.events).toEqual(reference.events);
  expect(batched.checkpoint).toEqual(reference.checkpoint);
  expect(batched.clockMs).toBe(reference.clockMs);
}

describe('replayCandlesBatched', () => {
  it('records exactly what the candle-by-candle replay records, events and final feature checkpoint included', async () => {
    await fc.assert(
      fc.asyncProperty(replayReturns, fc.integer({ min: 1, max: 300 }), async (returns, chunkCandles) => {
        const candles = candlesFrom(returns);
        const reference = await run('reference', candles, chunkCandles);
        const batched = await run('batched', candles, chunkCandles);
        expectSameAsReference(batched, reference);
        expect(batched.result.itemsProcessed).toBe(reference.result.itemsProcessed);
        expect(batched.result.candleByCandle).toBe(false);
      }),
    );
  });

  it('records the same with an extractor that writes into the chunk\'s matrix (updateInto, copyState) and a model that predicts its rows (predictRows)', async () => {
    await fc.assert(
      fc.asyncProperty(replayReturns, fc.integer({ min: 1, max: 300 }), async (returns, chunkCandles) => {
        const candles = candlesFrom(returns);
        const reference = await run('reference', candles, chunkCandles, 'all', undefined, { model: new RowsThresholdModel() });
        const model = new RowsThresholdModel();
        const batched = await run('batched', candles, chunkCandles, 'all', undefined, { model, features: new FastReturnFeatureSet() });
        expectSameAsReference(batched, reference);
        // Predicted from the matrix's rows (the candles the stages took, if any, one by one).
        expect(model.rowsPredicted).toBeGreaterThan(0);
      }),
    );
  });

  it('keeps nothing of the replay alive once it returned (its store, through the walk\'s reused signal)', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const replayed = async (): Promise<WeakRef<object>> => {
      const returns = Array.from({ length: 120 }, (_, index) => Math.sin(index) * 0.004);
      const { candles, clock, store, pipeline } = await signalBridgePipeline({ returns, pipelineId: 'released', features: new FastReturnFeatureSet(), model: new RowsThresholdModel() });
      await replayCandlesBatched({ pipeline, store, clock, candles: candles.slice(20) });
      return new WeakRef(store);
    };
    const store = await replayed();
    // Not `deref()` between collections: it keeps its target alive until the end of the job that calls it.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(store.deref()).toBeUndefined();
  });

  it('records what the candle-by-candle replay records for a model whose predictions no signal takes (an action "hold", a confidence of NaN or 7, a probability of 1.5, undefined, null, a BUY its probabilities contradict, probabilities that do not sum to 1)', async () => {
    const candles = candlesFrom(Array.from({ length: 90 }, (_, index) => Math.sin(index * 1.3) * 0.008));
    /** ThresholdModel's decisions, with one kind of bad field on its HOLDs from the 50th candle on (as an ONNX or plain-JS model can give it). */
    class SloppyModel extends ThresholdModel {
      constructor(private readonly flaw: Flaw) {
        super();
      }
      override async predict(vector: FeatureVector): Promise<ModelPrediction> {
        const prediction = await super.predict(vector);
        // Quiet candles first, so that the first bad prediction is met by the batched path (after it, a replay goes candle by candle).
        if (vector.candleStartMs < candles[50]!.startMs || prediction.action !== 'HOLD') return prediction;
        return withFlaw(prediction, this.flaw);
      }
    }
    const flaws = [['action', 4096], ['nan', 4096], ['seven', 7], ['probability', 7], ['undefined', 4096], ['null', 7], ['contradiction', 4096], ['sum', 7]] as const;
    for (const [flaw, chunkCandles] of flaws) {
      const reference = await run('reference', candles, chunkCandles, 'all', undefined, { model: new SloppyModel(flaw) });
      const batched = await run('batched', candles, chunkCandles, 'all', undefined, { model: new SloppyModel(flaw) });
      expect(batched.records, flaw).toEqual(reference.records);
      expect(batched.events, flaw).toEqual(reference.events);
      expect(batched.result.quietCandles, flaw).toBeGreaterThan(0);
      // The bad prediction made no signal: its candle was dead-lettered, as in the reference.
      expect(reference.records.signals.length, flaw).toBeLessThan(70);
      // A model that answers nothing, or contradicts itself, is named for what it did (a candle DONE without a signal
      // before: nothing said, nothing traded on it, nothing dead-lettered).
      if (flaw === 'undefined' || flaw === 'null' || flaw === 'contradiction' || flaw === 'sum') {
        expect(batched.deadLetters.length, flaw).toBeGreaterThan(0);
        expect(batched.deadLetters.map((item) => item.lastError?.code), flaw).toEqual(reference.deadLetters.map((item) => item.lastError?.code));
        expect(batched.deadLetters.every((item) => item.lastError?.code === 'model_failed'), flaw).toBe(true);
      }
    }
  });

  it('records what the candle-by-candle replay records for a model that writes rows (predictRows) no signal takes (a confidence of NaN or 7, a probability of 1.5, a BUY its probabilities contradict, probabilities that do not sum to 1)', async () => {
    const candles = candlesFrom(Array.from({ length: 90 }, (_, index) => Math.sin(index * 1.3) * 0.008));
    /** RowsThresholdModel's decisions, with one kind of bad number on its HOLDs after a rise of more than 0.78 % (the 16th replayed candle first), rows included. */
    class SloppyRowsModel extends RowsThresholdModel {
      constructor(private readonly flaw: Exclude<Flaw, 'action' | 'undefined' | 'null'>) {
        super();
      }
      override async predict(vector: FeatureVector): Promise<ModelPrediction> {
        const prediction = await super.predict(vector);
        if (!(vector.values[0]! > 0.0078) || prediction.action !== 'HOLD') return prediction;
        return withFlaw(prediction, this.flaw);
      }
    }
    for (const flaw of ['nan', 'seven', 'probability', 'contradiction', 'sum'] as const) {
      const reference = await run('reference', candles, 4096, 'all', undefined, { model: new SloppyRowsModel(flaw) });
      const model = new SloppyRowsModel(flaw);
      const batched = await run('batched', candles, 4096, 'all', undefined, { model, features: new FastReturnFeatureSet() });
      expect(batched.records, flaw).toEqual(reference.records);
      expect(batched.events, flaw).toEqual(reference.events);
      expect(model.rowsPredicted, flaw).toBeGreaterThan(0);
      expect(batched.result.quietCandles, flaw).toBeGreaterThan(0);
      // The bad predictions made no signal: their candles were dead-lettered, as in the reference.
      expect(reference.deadLetters.length, flaw).toBeGreaterThan(0);
      expect(batched.deadLetters.map((item) => item.lastError?.code), flaw).toEqual(reference.deadLetters.map((item) => item.lastError?.code));
    }
  });

  it('records what the candle-by-candle replay records for a rows model that leaves rows unwritten, or writes some and throws (predicted again one by one)', async () => {
    const candles = candlesFrom(Array.from({ length: 120 }, (_, index) => Math.sin(index * 0.7) * 0.015));
    /** Writes every row but every third, a different third at each call (left as it was: an earlier chunk's numbers), or, from its third call on, half the rows and then throws. */
    class PartialRowsModel extends RowsThresholdModel {
      calls = 0;
      constructor(private readonly fault: 'skip' | 'throw') {
        super();
      }
      override async predictRows(rows: FeatureRows, into: PredictionColumns): Promise<boolean> {
        this.calls += 1;
        const scratch = { actions: new Uint8Array(rows.count), confidences: new Float64Array(rows.count), probabilities: new Float64Array(3 * rows.count) };
        await super.predictRows(rows, scratch);
        const written = this.fault === 'throw' && this.calls >= 3 ? rows.count >> 1 : rows.count;
        for (let row = 0; row < written; row += 1) {
          if (this.fault === 'skip' && (row + this.calls) % 3 === 0) continue;
          into.actions[row] = scratch.actions[row]!;
          into.confidences[row] = scratch.confidences[row]!;
          into.probabilities.set(scratch.probabilities.subarray(3 * row, 3 * row + 3), 3 * row);
        }
        if (written < rows.count) throw new TradepipeError('model_failed', 'the rows run failed half way');
        return true;
      }
    }
    for (const fault of ['skip', 'throw'] as const) {
      // Chunks of 7 candles: the returns' period is ≈ 9, so a row left as it was holds another prediction than its own.
      const reference = await run('reference', candles, 7, 'all', undefined, { model: new RowsThresholdModel() });
      const model = new PartialRowsModel(fault);
      const batched = await run('batched', candles, 7, 'all', undefined, { model, features: new FastReturnFeatureSet() });
      expectSameAsReference(batched, reference);
      expect(model.calls, fault).toBeGreaterThan(3);
      expect(batched.result.quietCandles, fault).toBeGreaterThan(0);
      // The rows left out took the full path, where the stage predicted them one by one.
      expect(batched.result.fullPathCandles, fault).toBeGreaterThan(reference.records.orders.length);
      expect(reference.records.signals.some(({ signal }) => signal.action !== 'HOLD'), fault).toBe(true);
    }
  });

  it('goes candle by candle when a plugin wraps the signal or bridge stage: the wrapper sees every candle, a veto stops every one', async () => {
    const candles = candlesFrom(Array.from({ length: 80 }, (_, index) => Math.sin(index * 0.9) * 0.03));
    const counting = (): { readonly plugin: PipelinePlugin; readonly calls: Record<string, number> } => {
      const calls: Record<string, number> = { signal: 0, bridge: 0 };
      const count = (stage: 'signal' | 'bridge') => wrapStage(stage, async (_call, next) => {
        calls[stage] = calls[stage]! + 1;
        return next();
      });
      return { plugin: { name: 'count', wrappers: [count('signal'), count('bridge')] }, calls };
    };
    const reference = counting();
    const batched = counting();
    const referenceRun = await run('reference', candles, 16, 'all', undefined, { plugins: [reference.plugin] });
    const batchedRun = await run('batched', candles, 16, 'all', undefined, { plugins: [batched.plugin] });
    expect(batchedRun.result.candleByCandle).toBe(true);
    expect(batched.calls).toEqual(reference.calls);
    expect(batched.calls.signal).toBe(60);
    expect(batchedRun.records).toEqual(referenceRun.records);
    // A veto on the signal stage: no candle makes a signal in either mode.
    const veto: PipelinePlugin = { name: 'veto', wrappers: [wrapStage('signal', async () => ({ kind: 'complete', state: 'DONE', reason: 'veto' }))] };
    const vetoed = await run('batched', candles, 16, 'all', undefined, { plugins: [veto] });
    const vetoedReference = await run('reference', candles, 16, 'all', undefined, { plugins: [veto] });
    expect(vetoed.records).toEqual(vetoedReference.records);
    expect(vetoed.records.signals).toEqual([]);
  });

  it('stays batched with a wrapper of every stage that only observes (seesEveryCandle: false): the same records, the wrapper sees the stages that ran', async () => {
    const candles = candlesFrom(Array.from({ length: 80 }, (_, index) => Math.sin(index * 0.9) * 0.03));
    const observing = (): { readonly plugin: PipelinePlugin; readonly runs: Record<string, number> } => {
      const runs: Record<string, number> = {};
      const timing = wrapEveryStage(
        async (call, next) => {
          runs[call.stage] = (runs[call.stage] ?? 0) + 1;
          return next();
        },
        { seesEveryCandle: false },
      );
      return { plugin: { name: 'timing', wrappers: [timing] }, runs };
    };
    const reference = observing();
    const batched = observing();
    const referenceRun = await run('reference', candles, 16, 'all', undefined, { plugins: [reference.plugin] });
    const batchedRun = await run('batched', candles, 16, 'all', undefined, { plugins: [batched.plugin] });
    expect(batchedRun.result.candleByCandle).toBe(false);
    expect(batchedRun.result.quietCandles).toBeGreaterThan(0);
    expect(batchedRun.records).toEqual(referenceRun.records);
    // The quiet candles passed it by: fewer signal runs than candles, every stage after the bridge as often as in the reference.
    expect(reference.runs.signal).toBe(60);
    expect(batched.runs.signal).toBe(batchedRun.result.fullPathCandles);
    for (const stage of ['validation', 'risk', 'execution', 'fills']) expect(batched.runs[stage], stage).toBe(reference.runs[stage]);
  });

  it('gives a policy that reads features and keeps its signals their own signal and vector (records as the candle-by-candle replay)', async () => {
    /** The default policy, but a HOLD's reason names its first feature value; every signal it sees is kept. */
    const featureReading = (): RecommendationPolicy & { readonly seen: Signal[] } => {
      const inner = createDefaultRecommendationPolicy();
      const seen: Signal[] = [];
      return {
        name: 'feature-reading',
        seen,
        recommend(input) {
          seen.push(input.signal);
          const decision = inner.recommend(input);
          return decision.kind === 'none' ? { kind: 'none', reason: `hold at ${input.signal.features.values[0]}` } : decision;
        },
      };
    };
    const candles = candlesFrom(Array.from({ length: 300 }, (_, index) => Math.sin(index * 1.7) * 0.012));
    const referencePolicy = featureReading();
    const batchedPolicy = featureReading();
    const reference = await run('reference', candles, 64, 'all', referencePolicy);
    const batched = await run('batched', candles, 64, 'all', batchedPolicy);
    expect(batched.records).toEqual(reference.records);
    expect(batched.result.quietCandles).toBeGreaterThan(batched.result.fullPathCandles);
    expect(batchedPolicy.seen.length).toBeGreaterThan(100);
    // No signal or vector object reused from one candle to the next: each kept signal still describes its own candle.
    expect(new Set(batchedPolicy.seen).size).toBe(batchedPolicy.seen.length);
    expect(new Set(batchedPolicy.seen.map((signal) => signal.features)).size).toBe(batchedPolicy.seen.length);
    expect(batchedPolicy.seen.every((signal) => signal.features.candleStartMs === signal.candleStartMs)).toBe(true);
    const referenceFeatures = new Map(referencePolicy.seen.map((signal) => [signal.candleStartMs, signal.features]));
    for (const signal of batchedPolicy.seen) expect(signal.features).toEqual(referenceFeatures.get(signal.candleStartMs));
  });

  it('takes most candles of a trading replay on the quiet path, and trades', async () => {
    const returns = Array.from({ length: 600 }, (_, index) => Math.sin(index * 1.7) * 0.012);
    const batched = await run('batched', candlesFrom(returns), 64);
    expect(batched.records.orders.length).toBeGreaterThan(5);
    expect(batched.result.quietCandles).toBeGreaterThan(batched.result.fullPathCandles);
    expect(batched.records.recommendations.some(({ state }) => state.state === 'REJECTED')).toBe(true);
  });

  it('delivers events to listeners a listener adds mid-replay from the next event on, as the candle-by-candle replay does', async () => {
    const candles = candlesFrom(Array.from({ length: 300 }, (_, index) => Math.sin(index * 1.7) * 0.012));
    const reference = await run('reference', candles, 64, 'added');
    const batched = await run('batched', candles, 64, 'added');
    expect(batched.events.some((event) => event.startsWith('candle:processed'))).toBe(true);
    expect(batched.events).toEqual(reference.events);
  });

  it('refuses a chunk size that is not a positive integer, and takes one far beyond the candles as one chunk', async () => {
    for (const chunkCandles of [0, -4, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const { candles, clock, store, pipeline } = await signalBridgePipeline();
      await expect(replayCandlesBatched({ pipeline, store, clock, candles: candles.slice(20), chunkCandles })).rejects.toMatchObject({ code: 'validation_failed' });
    }
    // A chunk size of a billion on 280 candles: one chunk, decided quietly (its matrix made for the 280, not the billion).
    const candles = candlesFrom(Array.from({ length: 300 }, (_, index) => Math.sin(index * 1.7) * 0.012));
    const reference = await run('reference', candles, 64);
    const batched = await run('batched', candles, 1_000_000_000);
    expect(batched.result.quietCandles).toBeGreaterThan(batched.result.fullPathCandles);
    expect(batched.records).toEqual(reference.records);
  });

  it("gives the pipeline its own store back when the replay ends, and when it fails", async () => {
    const { candles, clock, store, pipeline } = await signalBridgePipeline();
    await replayCandlesBatched({ pipeline, store, clock, candles: candles.slice(20, 40) });
    expect(replayAccessOf(pipeline).runtime.options.store).toBe(store);
    const stop = new Error('stop');
    await expect(replayCandlesBatched({ pipeline, store, clock, candles: candles.slice(40), chunkCandles: 5, onChunk: () => Promise.reject(stop) })).rejects.toBe(stop);
    expect(replayAccessOf(pipeline).runtime.options.store).toBe(store);
  });

  it('refuses a started pipeline, and a second replay while one runs; the first still gives the store back', async () => {
    const { candles, clock, store, pipeline } = await signalBridgePipeline();
    let second: Promise<unknown> | undefined;
    // The second replay starts while the first is between chunks, its view in place.
    const first = replayCandlesBatched({
      pipeline, store, clock, candles: candles.slice(20, 40), chunkCandles: 5,
      onChunk: async () => {
        second ??= replayCandlesBatched({ pipeline, store, clock, candles: candles.slice(40) }).catch((error: unknown) => error);
        await second;
      },
    });
    await first;
    expect(await second).toMatchObject({ code: 'pipeline_invalid' });
    expect(replayAccessOf(pipeline).runtime.options.store).toBe(store);
    await pipeline.start();
    try {
      await expect(replayCandlesBatched({ pipeline, store, clock, candles: candles.slice(40) })).rejects.toMatchObject({ code: 'pipeline_invalid' });
    } finally {
      await pipeline.stop();
    }
    expect(replayAccessOf(pipeline).runtime.options.store).toBe(store);
  });

  it('falls back to candle by candle when the store already holds candles of the range', async () => {
    const candles = candlesFrom(Array.from({ length: 40 }, (_, index) => (index % 5) * 0.01 - 0.02));
    const clock = createManualClock(candles[0]!.startMs + HOUR);
    const store = createMemoryStore({ clock });
    await store.putProduct(testProduct());
    clock.set(candles[5]!.startMs + HOUR);
    await store.putCandles([candles[5]!], { state: 'DONE' });
    const pipeline = createPipeline({ pipelineId: 'fallback', store, clock, features: new ReturnFeatureSet(), model: new ThresholdModel(), stages: ['signal', 'bridge'] });
    const result = await replayCandlesBatched({ pipeline, store, clock, candles });
    expect(result.candleByCandle).toBe(true);
    expect(await store.countByState('candle')).toEqual({ DONE: 40 });
  });
});
