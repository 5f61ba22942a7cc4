import { TradepipeError, createManualClock, recordId, silentLogger, systemClock } from '@tradepipe/core';
import type { Candle, Clock, PipelineStore, Signal, StageContext, TradeRecommendation, ValidationInput } from '@tradepipe/core';

/** Test inputs only; not part of the package's API. @internal */
export const START_MS = Date.UTC(2026, 0, 1);
const HOUR_MS = 3_600_000;

/** A store that fails the test if a validator touches it. @internal */
export const untouchableStore = new Proxy({} as PipelineStore, {
  get: (_target, property) => {
    throw new TradepipeError('internal', `validator touched the store (${String(property)})`);
  },
});

/** A stage context with the given clock and signal. @internal */
export function makeContext(options: { readonly clock?: Clock; readonly signal?: AbortSignal } = {}): StageContext {
  return {
    pipelineId: 'test',
    clock: options.clock ?? systemClock,
    logger: silentLogger,
    signal: options.signal ?? new AbortController().signal,
    store: untouchableStore,
  };
}

/** Hourly candles with a steady drift (`driftPct` per candle) and a small wobble. @internal */
export function makeCandles(count: number, options: { readonly driftPct?: number; readonly wobblePct?: number; readonly endStartMs?: number } = {}): Candle[] {
  const endStartMs = options.endStartMs ?? START_MS;
  const candles: Candle[] = [];
  let close = 100;
  for (let index = 0; index < count; index += 1) {
    const open = close;
    const wobble = index % 2 === 0 ? 1 : -1;
    close = open * (1 + (options.driftPct ?? 0.2) / 100 + (wobble * (options.wobblePct ?? 0.1)) / 100);
    candles.push({
      productId: 'BTC-USD',
      granularity: 'ONE_HOUR',
      startMs: endStartMs - (count - 1 - index) * HOUR_MS,
      open,
      high: Math.max(open, close) * 1.001,
      low: Math.min(open, close) * 0.999,
      close,
      volume: 10 + index,
      gapFilled: false,
    });
  }
  return candles;
}

/** A BUY recommendation for the candle at START_MS; `key` varies the id. @internal */
export function makeRecommendation(key: string | number = 1, overrides: Partial<TradeRecommendation> = {}): TradeRecommendation {
  return {
    id: recordId('recommendation', ['test', 'BTC-USD', 'ONE_HOUR', START_MS, String(key)]),
    pipelineId: 'test',
    productId: 'BTC-USD',
    granularity: 'ONE_HOUR',
    candleStartMs: START_MS,
    side: 'BUY',
    intent: 'open',
    origin: { type: 'signal', signalId: 'sig_test', confidence: 0.72 },
    quoteAmount: '100',
    referencePrice: 105.2,
    createdAtMs: START_MS + HOUR_MS,
    expiresAtMs: START_MS + 2 * HOUR_MS,
    ...overrides,
  } as TradeRecommendation;
}

/** A BUY signal with three features. @internal */
export function makeSignal(): Signal {
  return {
    id: 'sig_test',
    pipelineId: 'test',
    productId: 'BTC-USD',
    granularity: 'ONE_HOUR',
    candleStartMs: START_MS,
    action: 'BUY',
    confidence: 0.72,
    probabilities: { BUY: 0.72, SELL: 0.08, HOLD: 0.2 },
    modelId: 'gbt',
    modelVersion: '1.0.0',
    closePrice: 105.2,
    features: { productId: 'BTC-USD', granularity: 'ONE_HOUR', candleStartMs: START_MS, featureSetVersion: 'v1', values: [61.5, 0.0123, -0.4] },
    generatedAtMs: START_MS + HOUR_MS,
  };
}

/** A validation input around {@link makeRecommendation}. @internal */
export function makeInput(key: string | number = 1, overrides: Partial<TradeRecommendation> = {}): ValidationInput {
  return { recommendation: makeRecommendation(key, overrides), signal: makeSignal(), recentCandles: makeCandles(30), featureNames: ['rsi_14', 'return_1', 'macd_hist'] };
}

/** A manual clock one hour after the decision candle. @internal */
export function makeClock(): ReturnType<typeof createManualClock> {
  return createManualClock(START_MS + 3_600_000 + 1_000);
}
