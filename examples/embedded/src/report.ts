import { toApproxNumber, type BacktestReport, type Candle, type HealthReport, type PipelineStore } from '@tradepipe/core';
import { renderTextSummary } from '@tradepipe/cli';
import { readFileSync } from 'node:fs';
import { defaultModelPath, modelCardFigures, readModelMetadata } from '@tradepipe/model';
import type { BundledCandles } from './bundled-candles.js';
import { PAPER_COSTS, STARTING_USD } from './embedded-pipeline.js';

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const percent = (value: number): string => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`;
const money = (value: number): string => `$${value.toFixed(2)}`;

/**
 * A plain-text summary of an embedded run: data, every stage's outcomes, the paper account, the metrics beside
 * both baselines with the funnel and the sizes risk gave (from the backtest report), health.
 */
export async function summarise(input: {
  store: PipelineStore;
  data: BundledCandles;
  holdOut: readonly Candle[];
  health: HealthReport;
  backtest: BacktestReport;
  /** Where the HTML report was written, as shown to the user. */
  reportPath: string;
  elapsedMs: number;
}): Promise<string> {
  const { store, data, holdOut, health } = input;
  const first = holdOut[0]!;
  const last = holdOut.at(-1)!;
  const recommendations = await store.listRecommendations({});
  const states: Record<string, number> = {};
  let signals = 0;
  const actions: Record<string, number> = { BUY: 0, SELL: 0, HOLD: 0 };
  for (const candle of holdOut) {
    const status = await store.getWorkStatus('candle', `${candle.productId}/${candle.granularity}/${candle.startMs}`);
    if (status?.state !== 'DONE') states[`candle ${status?.state ?? 'missing'}`] = (states[`candle ${status?.state}`] ?? 0) + 1;
  }
  for (const recommendation of recommendations) {
    const stored = await store.getRecommendation(recommendation.id);
    const state = stored?.status.state ?? 'missing';
    const key = `${recommendation.side} ${recommendation.origin.type === 'exit' ? `exit:${recommendation.origin.rule}` : 'signal'} → ${state}`;
    states[key] = (states[key] ?? 0) + 1;
  }
  const signalCounts = await store.countByState('signal');
  signals = Object.values(signalCounts).reduce((sum: number, count) => sum + (count ?? 0), 0);
  for (const recommendation of recommendations) if (recommendation.origin.type === 'signal') actions[recommendation.side] = (actions[recommendation.side] ?? 0) + 1;
  const orders = await store.listOrders({});
  const executed = orders.filter((order) => order.status === 'EXECUTED');
  const fees = executed.reduce((sum, order) => sum + toApproxNumber(order.totalFees), 0);
  const balances = Object.fromEntries((await store.listBalances()).map((balance) => [balance.currency, toApproxNumber(balance.available)]));
  const btc = balances.BTC ?? 0;
  const equity = (balances.USD ?? STARTING_USD) + btc * last.close;
  const lines = [
    'tradepipe embedded run — BTC-USD daily, bundled data, paper trading',
    `  data            ${data.rows} rows (${day(data.candles[0]!.startMs)} … ${day(last.startMs)}); ${data.gapFilled} gap-filled, ${data.flat} flat, ${data.zeroVolume} zero-volume`,
    `  replayed        ${holdOut.length} hold-out candles (${day(first.startMs)} … ${day(last.startMs)}), the default model never saw them`,
    `  signals         ${signals} (HOLD not bridged: ${signals - actions.BUY! - actions.SELL!}; BUY ${actions.BUY}, SELL ${actions.SELL} became recommendations)`,
    '  recommendations',
    ...Object.entries(states).sort().map(([key, count]) => `    ${key.padEnd(36)} ${count}`),
    `  orders          ${orders.length} (${executed.length} executed), fees ${money(fees)}`,
    `  paper account   ${money(STARTING_USD)} → ${money(equity)} (${percent(equity / STARTING_USD - 1)}); holds ${btc.toFixed(8)} BTC`,
    renderTextSummary(input.backtest),
    ...modelCardLines(),
    `  report          ${input.reportPath} (and report.json beside it)`,
    `  health          ${health.status}: ${health.checks.map((check) => `${check.name}=${check.status}`).join(', ')}`,
    `  store           ${store.name}; elapsed ${(input.elapsedMs / 1000).toFixed(1)} s`,
  ];
  return lines.join('\n');
}

/** The default model's card figures (its training script's walk-forward and hold-out), beside this run. */
function modelCardLines(): string[] {
  const card = modelCardFigures(readModelMetadata(readFileSync(defaultModelPath())));
  const holdout = card.holdout;
  const wf = card.walkForward;
  if (holdout === undefined || wf === undefined) return ['  model card      (no figures in the model)'];
  const ratio = (value: number | null | undefined): string => (value === null || value === undefined ? 'n/a' : value.toFixed(2));
  const line = (name: string, figures: typeof holdout.model): string =>
    `    ${name.padEnd(14)} ${percent(figures.totalReturn).padStart(8)}  Sharpe ${ratio(figures.sharpe)}  Sortino ${ratio(figures.sortino)}  max drawdown ${(figures.maxDrawdown * 100).toFixed(1)} %`;
  return [
    `  model card      walk-forward Sharpe ${ratio(wf.strategySharpe)} (buy-and-hold ${ratio(wf.buyAndHoldSharpe)}), balanced accuracy ${wf.meanBalancedAccuracy?.toFixed(3)}; validator bar ${wf.validatorMinConfidence} from walk-forward`,
    `    hold-out ${day(holdout.fromMs)} … ${day(holdout.toMs)}, all-in long/flat at the signal's close, ${wf.feeRateBps ?? 60} bps a trade (the card's figures; this run pays ${PAPER_COSTS.feeRateBps + PAPER_COSTS.slippageBps} bps at the next open):`,
    line('model', holdout.model),
    line('buy-and-hold', holdout.buyAndHold),
    line('SMA 50/200', holdout.sma50200),
    `    balanced accuracy ${holdout.classification.balancedAccuracy.toFixed(3)} (chance 0.333); p-value of its Sharpe vs circular shifts ${holdout.significance.pValue.toFixed(2)}${card.holdoutLookedAtBefore === true ? '; this year was looked at before: not a clean test' : ''}`,
  ];
}
