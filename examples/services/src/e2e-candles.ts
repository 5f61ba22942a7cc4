// Test support for services.int.test.ts: a window of the bundled BTC-USD daily candles, moved in time so
// that its last candle closed at the start of today (UTC), chosen so that the shipped model says BUY on it
// and the rule validator approves it, exactly as the deployed signal generator and orchestrator will see it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CandleSchema,
  DEFAULT_GAP_POLICY,
  createManualClock,
  createMemoryStore,
  granularityMs,
  parseWith,
  recordId,
  sequenceCandles,
  silentLogger,
  startOfUtcDayMs,
  type Candle,
  type TradeRecommendation,
} from '@tradepipe/core';
import { FEATURE_NAMES, FEATURE_SET_VERSION, WARMUP_CANDLES, createFeatureSet } from '@tradepipe/features';
import { createRuleValidator } from '@tradepipe/llm-validator';
import { loadDefaultModel } from '@tradepipe/model';

const DAY_MS = granularityMs('ONE_DAY');
const CSV_PATH = fileURLToPath(new URL('../../../data/btc-usd-1d.csv', import.meta.url));

/** The bundled candles (`timestamp,open,close,volume,unix_timestamp,high,low`), gap-filled. */
export function loadBundledCandles(): Candle[] {
  const [header = '', ...rows] = readFileSync(CSV_PATH, 'utf8').trim().split('\n');
  const columns = header.split(',');
  const at = (cells: string[], name: string): number => Number(cells[columns.indexOf(name)]);
  const candles = rows.map((row) => {
    const cells = row.split(',');
    return parseWith(
      CandleSchema,
      { productId: 'BTC-USD', granularity: 'ONE_DAY', startMs: at(cells, 'unix_timestamp') * 1000, open: at(cells, 'open'), high: at(cells, 'high'), low: at(cells, 'low'), close: at(cells, 'close'), volume: at(cells, 'volume') },
      'bundled candle',
    );
  });
  return sequenceCandles(candles, DEFAULT_GAP_POLICY);
}

/** A shifted window: `history` (stored as DONE) and `decision`, the candle the services will process. */
export interface DecisionWindow {
  readonly history: readonly Candle[];
  readonly decision: Candle;
  readonly originalStartMs: number;
  readonly confidence: number;
}

function recommendationFor(candle: Candle, confidence: number, nowMs: number): TradeRecommendation {
  return {
    id: recordId('recommendation', ['probe', candle.productId, candle.granularity, candle.startMs, 'signal']),
    pipelineId: 'probe',
    productId: candle.productId,
    granularity: candle.granularity,
    candleStartMs: candle.startMs,
    side: 'BUY',
    intent: 'open',
    origin: { type: 'signal', signalId: recordId('signal', ['probe', candle.productId, candle.granularity, candle.startMs]), confidence },
    quoteAmount: '100' as TradeRecommendation['quoteAmount'],
    referencePrice: candle.close,
    createdAtMs: nowMs,
    expiresAtMs: nowMs + 600_000,
  };
}

/**
 * Finds the latest bundled candle on which the default model, warmed on the 700 candles before it (as the
 * signal stage warms from stored history) with the dates moved to now, says BUY and the default rule validator approves; returns the
 * window ending there, moved so the decision candle is yesterday's (closed at today's 00:00 UTC).
 */
export async function findBuyWindow(nowMs: number): Promise<DecisionWindow> {
  const store = createMemoryStore();
  const candles = loadBundledCandles();
  const features = createFeatureSet();
  const model = await loadDefaultModel({ expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION });
  const rules = createRuleValidator();
  const shiftOf = (index: number): number => startOfUtcDayMs(nowMs) - DAY_MS - candles[index]!.startMs;
  for (let index = candles.length - 1; index > WARMUP_CANDLES + 60; index -= 1) {
    // Day-of-week features see the moved dates, so the model is asked about the moved candles.
    const shift = shiftOf(index);
    const moved = candles.slice(index - WARMUP_CANDLES - 60, index + 1).map((candle) => ({ ...candle, startMs: candle.startMs + shift }));
    const extractor = features.createExtractor({ productId: 'BTC-USD', granularity: 'ONE_DAY' });
    let vector;
    for (const candle of moved.slice(-(WARMUP_CANDLES + 1))) vector = extractor.update(candle);
    if (vector === undefined) continue;
    const prediction = await model.predict(vector);
    if (prediction.action !== 'BUY') continue;
    const decision = moved.at(-1)!;
    const clock = createManualClock(nowMs);
    const validation = await rules.validate(
      { recommendation: recommendationFor(decision, prediction.confidence, nowMs), signal: undefined, recentCandles: moved.slice(-48), featureNames: FEATURE_NAMES },
      { pipelineId: 'probe', clock, logger: silentLogger, signal: new AbortController().signal, store },
    );
    if (validation.decision !== 'APPROVE') continue;
    return { history: moved.slice(0, -1), decision, originalStartMs: candles[index]!.startMs, confidence: prediction.confidence };
  }
  throw new Error('no BUY candle the rule validator approves in the bundled data');
}

/** How close to the next UTC midnight {@link nowClearOfUtcMidnight} does not start a test by default, ms. */
export const MIDNIGHT_MARGIN_MS = 5 * 60_000;

/**
 * Now, at least `marginMs` before the next UTC midnight. A test whose decision candle is yesterday's day candle
 * ({@link findBuyWindow}) must not run across a day boundary: the services would then look for another day's
 * candle (a CI run that started its services 0.6 s after midnight waited its whole budget for a recommendation
 * that could not come). Within the margin this waits for the boundary to pass (a wait for a clock condition,
 * not for readiness), then answers.
 */
export async function nowClearOfUtcMidnight(marginMs: number = MIDNIGHT_MARGIN_MS): Promise<number> {
  const nowMs = Date.now();
  const untilMidnightMs = startOfUtcDayMs(nowMs) + DAY_MS - nowMs;
  if (untilMidnightMs > marginMs) return nowMs;
  await new Promise((resolve) => setTimeout(resolve, untilMidnightMs + 1_000));
  return Date.now();
}
