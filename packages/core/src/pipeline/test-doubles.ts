// Stage doubles for the pipeline's own tests: real classes implementing the interfaces, no mocks.
import { signRiskApproval, type ApprovalSigner } from '../approval.js';
import { decimal, decimalFromNumber } from '../decimal.js';
import { TradepipeError } from '../errors.js';
import { clientOrderIdFor, recordId } from '../ids.js';
import { PREDICTION_ACTIONS, type FeatureExtractor, type FeatureRows, type FeatureSet, type ModelPrediction, type OrderExecutor, type PredictionColumns, type RiskManager, type SeriesKey, type SignalModel, type StageContext, type TradeValidator, type ValidationInput } from '../interfaces.js';
import { recordOrderIntent } from '../order-intent.js';
import type { Order } from '../records/execution.js';
import type { Candle, FeatureVector } from '../records/market.js';
import type { LlmValidation, TradeRecommendation } from '../records/trading.js';
import type { PipelineStore, RiskDecisionResult } from '../store.js';
import { createTestApprovalSigner } from '../testing/fixtures.js';
import { systemClock } from '../time.js';
import { createPipeline, type Pipeline } from './pipeline.js';

/** Two features: the one-candle return and the close. */
export class ReturnFeatureSet implements FeatureSet {
  readonly featureSetVersion = 'test-2';
  readonly featureNames = ['return_1', 'close'] as const;
  readonly warmupCandles = 2;
  createExtractor(series: SeriesKey): FeatureExtractor {
    let previous: Candle | undefined;
    let lastStartMs: number | undefined;
    return {
      update: (candle): FeatureVector | undefined => {
        const before = previous;
        previous = candle;
        lastStartMs = candle.startMs;
        if (before === undefined) return undefined;
        return { ...series, candleStartMs: candle.startMs, featureSetVersion: this.featureSetVersion, values: [candle.close / before.close - 1, candle.close] };
      },
      lastCandleStartMs: () => lastStartMs,
      saveState: () => ({ previous, lastStartMs }),
      restoreState: (state) => {
        ({ previous, lastStartMs } = state as { previous: Candle | undefined; lastStartMs: number | undefined });
      },
    };
  }
}

/** {@link ReturnFeatureSet} whose extractors also have `updateInto`, `copyState` and `resumeCopy`: the batched replay's fast paths, as the shipped feature engine has them. */
export class FastReturnFeatureSet extends ReturnFeatureSet {
  override createExtractor(series: SeriesKey): FeatureExtractor {
    const extractor = super.createExtractor(series);
    return {
      ...extractor,
      updateInto: (candle, target, offset) => {
        const vector = extractor.update(candle);
        if (vector === undefined) return false;
        target[offset] = vector.values[0]!;
        target[offset + 1] = vector.values[1]!;
        return true;
      },
      copyState: () => structuredClone(extractor.saveState()),
      resumeCopy: (copy) => extractor.restoreState(structuredClone(copy)),
    };
  }
}

/** BUY above +1 %, SELL below −1 %, HOLD otherwise. */
export class ThresholdModel implements SignalModel {
  readonly modelId = 'threshold';
  readonly featureNames = ['return_1', 'close'];
  readonly featureSetVersion = 'test-2';
  predictions = 0;
  constructor(readonly modelVersion = '1') {}
  async predict(vector: FeatureVector): Promise<ModelPrediction> {
    this.predictions += 1;
    const change = vector.values[0]!;
    return { action: change > 0.01 ? 'BUY' : change < -0.01 ? 'SELL' : 'HOLD', confidence: 0.8 };
  }
  async predictBatch(vectors: readonly FeatureVector[]): Promise<ModelPrediction[]> {
    return Promise.all(vectors.map((vector) => this.predict(vector)));
  }
}

/**
 * {@link ThresholdModel} with probabilities (0.8 for the action, 0.1 for each other) that also takes rows
 * ({@link SignalModel.predictRows}), counting the rows it predicted so.
 */
export class RowsThresholdModel extends ThresholdModel {
  rowsPredicted = 0;
  override async predict(vector: FeatureVector): Promise<ModelPrediction> {
    const { action, confidence } = await super.predict(vector);
    return { action, confidence, probabilities: { BUY: action === 'BUY' ? 0.8 : 0.1, SELL: action === 'SELL' ? 0.8 : 0.1, HOLD: action === 'HOLD' ? 0.8 : 0.1 } };
  }
  async predictRows(rows: FeatureRows, into: PredictionColumns): Promise<boolean> {
    if (rows.featureSetVersion !== this.featureSetVersion || rows.width !== this.featureNames.length) return false;
    for (let row = 0; row < rows.count; row += 1) {
      const values = [rows.values[2 * row]!, rows.values[2 * row + 1]!];
      const prediction = await this.predict({ productId: rows.productId, granularity: rows.granularity, candleStartMs: 0, featureSetVersion: rows.featureSetVersion, values });
      into.actions[row] = PREDICTION_ACTIONS.indexOf(prediction.action);
      into.confidences[row] = prediction.confidence;
      into.probabilities.set([prediction.probabilities!.BUY, prediction.probabilities!.SELL, prediction.probabilities!.HOLD], 3 * row);
    }
    this.rowsPredicted += rows.count;
    return true;
  }
}

/** What a scripted validator does on one call. */
export type ValidatorStep = 'approve' | 'reject' | 'transient' | 'permanent' | 'hang';

/** A validator that follows a script (the last step repeats). */
export class ScriptedValidator implements TradeValidator {
  calls = 0;
  constructor(
    readonly name: string,
    private readonly script: ValidatorStep[],
  ) {}
  async validate(input: ValidationInput, context: StageContext): Promise<LlmValidation> {
    const step = this.script[Math.min(this.calls, this.script.length - 1)]!;
    this.calls += 1;
    if (step === 'transient') throw new TradepipeError('llm_unavailable', 'connection refused');
    if (step === 'permanent') throw new Error('validator bug');
    if (step === 'hang') {
      await new Promise((_, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true }));
    }
    return {
      id: recordId('validation', [input.recommendation.id, this.name]),
      recommendationId: input.recommendation.id,
      validator: this.name,
      decision: step === 'approve' ? 'APPROVE' : 'REJECT',
      reasons: [step === 'approve' ? 'trend agrees' : 'too risky'],
      riskFlags: [],
      validatedAtMs: context.clock.nowMs(),
    };
  }
}

/** Approves after `delayMs` of real time: a slow LLM. */
export class SlowValidator implements TradeValidator {
  readonly name = 'slow';
  constructor(private readonly delayMs: number) {}
  async validate(input: ValidationInput, context: StageContext): Promise<LlmValidation> {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return { id: recordId('validation', [input.recommendation.id, this.name]), recommendationId: input.recommendation.id, validator: this.name, decision: 'APPROVE', reasons: ['ok'], riskFlags: [], validatedAtMs: context.clock.nowMs() };
  }
}

/** Approves everything within a total exposure limit, signing and reserving through the store. */
export class LimitRiskManager implements RiskManager {
  readonly name = 'limit';
  constructor(
    private readonly signer: ApprovalSigner,
    private readonly maxTotalExposureQuote = 1_000_000,
  ) {}
  async assess(recommendation: TradeRecommendation, context: StageContext): Promise<RiskDecisionResult> {
    const nowMs = context.clock.nowMs();
    const assessment = {
      id: recordId('assessment', [recommendation.id]),
      recommendationId: recommendation.id,
      productId: recommendation.productId,
      side: recommendation.side,
      decision: 'APPROVE' as const,
      reasons: [{ code: 'approved' as const, message: 'within limits' }],
      volatilityAnnualized: 0.5,
      volatilityWindowDays: 14,
      portfolioHeat: 0,
      portfolioHeatAfter: 0,
      riskScore: 0.3,
      requestedQuoteAmount: recommendation.quoteAmount,
      adjustedQuoteAmount: recommendation.quoteAmount,
      equityQuote: 10_000,
      exposureQuote: 0,
      dailyPnlQuote: 0,
      markPrice: recommendation.referencePrice,
      lastCandleStartMs: recommendation.candleStartMs,
      figures: {},
      assessedAtMs: nowMs,
    };
    const approval = signRiskApproval(this.signer, {
      id: recordId('approval', [recommendation.id]),
      recommendationId: recommendation.id,
      clientOrderId: clientOrderIdFor(recommendation.id),
      productId: recommendation.productId,
      side: recommendation.side,
      ...(recommendation.side === 'BUY' ? { maxQuoteAmount: recommendation.quoteAmount } : { maxBaseSize: recommendation.baseSize! }),
      issuedAtMs: nowMs,
      expiresAtMs: nowMs + 60_000,
    });
    const reservation = {
      approvalId: approval.id,
      productId: recommendation.productId,
      side: recommendation.side,
      quoteAmount: recommendation.quoteAmount,
      baseSize: recommendation.baseSize ?? decimal('0'),
      reservedAtMs: nowMs,
      expiresAtMs: approval.expiresAtMs,
    };
    try {
      return await context.store.recordRiskDecision({ assessment, approval, reservation, limits: { maxTotalExposureQuote: this.maxTotalExposureQuote } });
    } catch (error) {
      if (!(error instanceof TradepipeError) || error.code !== 'exposure_limit_exceeded') throw error;
      return context.store.recordRiskDecision({
        assessment: { ...assessment, decision: 'REJECT', reasons: [{ code: 'max_total_exposure', message: error.message }], adjustedQuoteAmount: decimal('0') },
      });
    }
  }
}

/** Fills every order at once at the recommendation's reference price, through `recordOrderIntent`. */
export class ImmediateExecutor implements OrderExecutor {
  readonly name = 'immediate';
  readonly venue = 'paper' as const;
  constructor(private readonly signer: ApprovalSigner) {}
  async execute(input: { recommendation: TradeRecommendation; approval: Parameters<OrderExecutor['execute']>[0]['approval'] }, context: StageContext): Promise<Order> {
    const existing = await context.store.getOrderByClientOrderId(clientOrderIdFor(input.recommendation.id));
    if (existing !== undefined) return existing;
    const nowMs = context.clock.nowMs();
    const order = await recordOrderIntent({ store: context.store, signer: this.signer, nowMs, recommendation: input.recommendation, approval: input.approval, venue: 'paper' });
    const price = decimalFromNumber(input.recommendation.referencePrice, decimal('0.01'));
    const sizeBase = order.side === 'BUY' ? decimalFromNumber(100 / input.recommendation.referencePrice, decimal('0.00000001')) : order.baseSize!;
    await context.store.recordFill(
      { id: `fill-${order.id}`, orderId: order.id, clientOrderId: order.clientOrderId, venue: 'paper', productId: order.productId, side: order.side, price, sizeBase, commission: decimal('0'), liquidity: 'TAKER', filledAtMs: nowMs },
      { quoteCurrency: 'USD', baseCurrency: 'BTC' },
    );
    return context.store.updateOrder(order.id, { status: 'EXECUTED', filledBaseSize: sizeBase, updatedAtMs: nowMs, completedAtMs: nowMs });
  }
  async refresh(order: Order): Promise<Order> {
    return order;
  }
}

const MINUTE_MS = 60_000;

/**
 * `count` closed 1-minute candles ending a minute ago, closes alternating +2 % / −2 %: every candle after the first
 * trades. `range` sets each candle's high and low as multiples of its close (1 and 1: a flat candle).
 */
export function tradingCandles(count: number, range: { readonly high: number; readonly low: number } = { high: 1, low: 1 }): Candle[] {
  const firstStartMs = Math.floor(systemClock.nowMs() / MINUTE_MS) * MINUTE_MS - (count + 1) * MINUTE_MS;
  let close = 100;
  return Array.from({ length: count }, (_, index) => {
    close = index === 0 ? close : close * (index % 2 === 1 ? 1.02 : 1 / 1.02);
    return { productId: 'BTC-USD', granularity: 'ONE_MINUTE', startMs: firstStartMs + index * MINUTE_MS, open: close, high: close * range.high, low: close * range.low, close, volume: 1, gapFilled: false };
  });
}

/**
 * A live pipeline on `store` (not started) whose every candle of {@link tradingCandles} trades through every stage:
 * returns as features, a threshold model, an approving validator, a wide risk limit (or `risk`), an executor that
 * fills at once; a one-minute poll interval, so that only wake-ups move work.
 */
export function createLiveTestPipeline(
  store: PipelineStore,
  options: { readonly pipelineId?: string; readonly risk?: (signer: ApprovalSigner) => RiskManager; readonly concurrency?: number } = {},
): Pipeline {
  const signer = createTestApprovalSigner();
  return createPipeline({
    pipelineId: options.pipelineId ?? 'live',
    store,
    features: new ReturnFeatureSet(),
    model: new ThresholdModel(),
    validator: new ScriptedValidator('approve', ['approve']),
    risk: options.risk?.(signer) ?? new LimitRiskManager(signer, 1e12),
    executor: new ImmediateExecutor(signer),
    tuning: { maxSignalAgeCandles: 1e9, pollIntervalMs: 60_000, ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }) },
  });
}
