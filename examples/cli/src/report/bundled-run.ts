// Test support: the README's backtest on the bundled BTC-USD daily candles (hold-out year from 2024-09-25), on the
// in-memory store, with the embedded defaults (rule validator, risk with exits, paper executor: 5 bps slippage,
// 1.2 % taker fee), assembled into a report. It is what the main job runs, for the browser test's screenshot.
import { readFileSync } from 'node:fs';
import {
  buildBacktestReport,
  createHmacApprovalSigner,
  createManualClock,
  createMemoryStore,
  createPipeline,
  decimal,
  parseCandleCsv,
  replayCandles,
  type BacktestReport,
} from '@tradepipe/core';
import { PaperExecutor, fundPaperAccount } from '@tradepipe/coinbase';
import { FEATURE_NAMES, FEATURE_SET_VERSION, createFeatureSet } from '@tradepipe/features';
import { createRuleValidator } from '@tradepipe/llm-validator';
import { loadDefaultModel } from '@tradepipe/model';
import { createExitPolicy, createRiskManager } from '@tradepipe/risk';

const HOLD_OUT_START_MS = Date.UTC(2024, 8, 25);
const COSTS = { feeRateBps: 120, slippageBps: 5 } as const;

/** Replays the bundled hold-out year through the default stages and returns its report. */
export async function bundledDailyReport(): Promise<BacktestReport> {
  const text = readFileSync(new URL('../../../../data/btc-usd-1d.csv', import.meta.url), 'utf8');
  const candles = parseCandleCsv({ text, productId: 'BTC-USD', granularity: 'ONE_DAY' });
  const history = candles.filter((candle) => candle.startMs < HOLD_OUT_START_MS);
  const holdOut = candles.filter((candle) => candle.startMs >= HOLD_OUT_START_MS);
  const clock = createManualClock(HOLD_OUT_START_MS);
  const store = createMemoryStore({ clock });
  await store.putProduct({
    productId: 'BTC-USD', baseCurrency: 'BTC', quoteCurrency: 'USD', baseIncrement: decimal('0.00000001'), quoteIncrement: decimal('0.01'),
    priceIncrement: decimal('0.01'), baseMinSize: decimal('0.00000001'), quoteMinSize: decimal('1'), status: 'online',
  });
  await store.putCandles(history, { state: 'DONE' });
  await fundPaperAccount(store, { USD: '1000' }, clock.nowMs());
  const signer = createHmacApprovalSigner({ keyId: 'embedded', secret: 'report-test-secret-0123456789abcdef' });
  const pipeline = createPipeline({
    pipelineId: 'embedded-btc-usd', // the main job's id: the same ids, so the same order of work and the same decisions
    store,
    clock,
    features: createFeatureSet(),
    model: await loadDefaultModel({ expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION }),
    validator: createRuleValidator({ name: 'rules', minConfidence: 0.4 }),
    risk: createRiskManager({
      signer,
      approvalTtlMs: 300_000,
      limits: { maxOrderQuote: 100, maxPositionQuote: 600, maxTotalExposureQuote: 600, maxPortfolioHeat: 0.5, maxDailyLossFraction: 0.05, maxOrdersPerHour: 10 },
    }),
    exits: createExitPolicy({ stopLossAtr: 2, takeProfitAtr: 4, trailingStopAtr: 3, recommendationTtlMs: 600_000 }),
    executor: new PaperExecutor({ approvalSigner: signer, slippageBps: COSTS.slippageBps, takerFeeRateBps: COSTS.feeRateBps }),
  });
  await replayCandles({ pipeline, store, clock, candles: holdOut });
  const report = await buildBacktestReport({ store, candles: holdOut, history, startingQuote: 1000, costs: COSTS, generatedAtMs: clock.nowMs(), title: 'tradepipe embedded run — BTC-USD daily, hold-out year, paper trading' });
  await store.close();
  return report;
}
