import { toApproxNumber, type BacktestReport, type Candle, type HealthReport, type PipelineStore } from '@tradepipe/core';
import { renderTextSummary } from '@tradepipe/cli';
import type { BundledCandles } from './bundled-candles.js';
import { STARTING_USD } from './embedded-pipeline.js';

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
    `  report          ${input.reportPath} (and report.json beside it)`,
    `  health          ${health.status}: ${health.checks.map((check) => `${check.name}=${check.status}`).join(', ')}`,
    `  store           ${store.name}; elapsed ${(input.elapsedMs / 1000).toFixed(1)} s`,
  ];
  return lines.join('\n');
}
