import type { DeadLetter } from '../dead-letters.js';
import { recordId } from '../ids.js';
import type { Balance, Fill, Order, Position } from '../records/execution.js';
import type { Candle, Product } from '../records/market.js';
import type { RiskAssessment } from '../records/risk.js';
import type { LlmValidation, RecommendationState, Signal, TradeRecommendation } from '../records/trading.js';
import type { PipelineStore } from '../store.js';
import { listAllDeadLetters } from './backtest-records.js';

/** One recommendation of a backtest with everything decided about it, in the order the stages decided it. */
export interface BacktestDecision {
  /** The recommendation as listed by the store. */
  readonly recommendation: TradeRecommendation;
  /** Where the recommendation ended (`EXECUTED`, `REJECTED`, `EXPIRED`, …). */
  readonly state: RecommendationState;
  /** Why it ended there, when a stage said (e.g. the REJECT reason). */
  readonly reason?: string;
  /** Every validator's verdict. */
  readonly validations: readonly LlmValidation[];
  /** Risk's assessment, when the recommendation reached risk. */
  readonly assessment?: RiskAssessment;
  /** The order, when one was placed. */
  readonly order?: Order;
  /** The order's fills, oldest first. */
  readonly fills: readonly Fill[];
}

/** Everything a backtest recorded, read back from its store once the replay ended. */
export interface BacktestRunRecords {
  /** The run's pipeline id (every record id derives from it). */
  readonly pipelineId: string;
  /** The products given to the backtest. */
  readonly products: readonly Product[];
  /** The feature set's names, in the order of each signal's `features.values` (empty without a feature set). */
  readonly featureNames: readonly string[];
  /** The paper account at the start, by currency (decimal strings). */
  readonly startingBalances: Readonly<Record<string, string>>;
  /** Candles stored as history before the replay: they warmed the features and never traded. */
  readonly warmupCandles: number;
  /** The replayed candles, oldest first: one step of the backtest each. */
  readonly candles: readonly Candle[];
  /** The signal of each replayed candle that produced one (none while the features warm up), oldest first. */
  readonly signals: readonly Signal[];
  /** Every recommendation (signal and exit), by creation time, with its verdicts, assessment, order and fills. */
  readonly decisions: readonly BacktestDecision[];
  /** Every order, by creation time. */
  readonly orders: readonly Order[];
  /** Every fill, by fill time. */
  readonly fills: readonly Fill[];
  /** The paper account at the end. */
  readonly balances: readonly Balance[];
  /** Open positions at the end. */
  readonly positions: readonly Position[];
  /**
   * Candles, signals and recommendations the run dead-lettered (stopped for good on a failure, e.g. `not_found` for a
   * signal whose product was not given), oldest first. A run whose signals were all dead-lettered has no decision.
   */
  readonly deadLetters: readonly DeadLetter[];
}

async function collectDecision(store: PipelineStore, recommendation: TradeRecommendation): Promise<BacktestDecision> {
  const stored = await store.getRecommendation(recommendation.id);
  const approval = await store.getApproval(recommendation.id);
  const assessment = await store.getRiskAssessment(recommendation.id);
  const order = approval === undefined ? undefined : await store.getOrderByClientOrderId(approval.clientOrderId);
  const fills = order === undefined ? [] : [...(await store.listFills(order.id))].sort((a, b) => a.filledAtMs - b.filledAtMs || a.id.localeCompare(b.id));
  return {
    recommendation,
    state: stored?.status.state ?? 'PENDING_VALIDATION',
    ...(stored?.status.reason === undefined ? {} : { reason: stored.status.reason }),
    validations: [...(await store.listValidations(recommendation.id))].sort((a, b) => a.validator.localeCompare(b.validator)),
    ...(assessment === undefined ? {} : { assessment }),
    ...(order === undefined ? {} : { order }),
    fills,
  };
}

/**
 * Reads a finished backtest's records back from its store: the signal of each replayed candle, every
 * recommendation with its verdicts, assessment, order and fills, the account at the end and the dead letters.
 * @internal
 */
export async function collectBacktestRunRecords(input: {
  readonly store: PipelineStore;
  readonly pipelineId: string;
  readonly products: readonly Product[];
  readonly featureNames: readonly string[];
  readonly startingBalances: Readonly<Record<string, string>>;
  readonly warmupCandles: number;
  readonly candles: readonly Candle[];
}): Promise<BacktestRunRecords> {
  const { store, pipelineId } = input;
  const signals: Signal[] = [];
  for (const candle of input.candles) {
    const signal = await store.getSignal(recordId('signal', [pipelineId, candle.productId, candle.granularity, candle.startMs]));
    if (signal !== undefined) signals.push(signal);
  }
  const recommendations = [...(await store.listRecommendations({}))].sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id));
  const decisions: BacktestDecision[] = [];
  for (const recommendation of recommendations) decisions.push(await collectDecision(store, recommendation));
  const orders = [...(await store.listOrders({}))].sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id));
  const fills = decisions.flatMap((decision) => decision.fills).sort((a, b) => a.filledAtMs - b.filledAtMs || a.id.localeCompare(b.id));
  return {
    pipelineId,
    products: input.products,
    featureNames: input.featureNames,
    startingBalances: input.startingBalances,
    warmupCandles: input.warmupCandles,
    candles: input.candles,
    signals,
    decisions,
    orders,
    fills,
    balances: [...(await store.listBalances())].sort((a, b) => a.currency.localeCompare(b.currency)),
    positions: [...(await store.listPositions())].sort((a, b) => a.productId.localeCompare(b.productId)),
    deadLetters: await listAllDeadLetters(store),
  };
}
