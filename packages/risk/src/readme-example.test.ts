// The README's usage example, run as a test so that it keeps compiling and working.
import {
  createHmacApprovalSigner,
  createManualClock,
  createMemoryStore,
  decimal,
  silentLogger,
  verifyRiskApproval,
  type StageContext,
} from '@tradepipe/core';
import { testProduct, testRecommendation } from '@tradepipe/core/testing';
import { expect, it } from 'vitest';
import { createExitPolicy, createRiskManager, engageKillSwitch } from './index.js';
import { NOW_MS, alternatingCandles } from './test-support.js';

it('runs the README example', async () => {
  // --- README example start ---
  const clock = createManualClock(NOW_MS);
  const store = createMemoryStore({ clock });
  await store.putProduct(testProduct()); // BTC-USD with Coinbase-like increments
  await store.putCandles(alternatingCandles({ productId: 'BTC-USD', count: 337, endMs: NOW_MS, base: 50_000 }));
  await store.putBalances([{ currency: 'USD', available: decimal('10000'), hold: decimal('0'), updatedAtMs: NOW_MS }]);

  const signer = createHmacApprovalSigner({ keyId: 'risk-1', secret: 'use-a-32-byte-or-longer-secret-here!' });
  const risk = createRiskManager({
    limits: {
      maxOrderQuote: 500,
      maxPositionQuote: 2_000,
      maxTotalExposureQuote: 5_000,
      maxPortfolioHeat: 0.25,
      maxDailyLossFraction: 0.05,
      maxOrdersPerHour: 20,
    },
    signer,
    approvalTtlMs: 60_000,
  });
  const context: StageContext = { pipelineId: 'demo', clock, logger: silentLogger, signal: new AbortController().signal, store };

  const recommendation = testRecommendation({ candleStartMs: NOW_MS - 3_600_000, createdAtMs: NOW_MS }); // BUY $100 of BTC-USD
  const { assessment, approval } = await risk.assess(recommendation, context);
  // assessment.decision === 'APPROVE', assessment.adjustedQuoteAmount === '81.25' (volatility 93.7 %/year, score 0.187)
  // The executor checks the signature, then consumes the approval with its order intent (single use).
  verifyRiskApproval(signer, approval, clock.nowMs());

  // Exits: evaluated on each closed candle for each open position.
  const exits = createExitPolicy({ stopLossAtr: 2, takeProfitAtr: 4, trailingStopAtr: 3, maxHoldingTimeMs: 7 * 86_400_000 });
  await engageKillSwitch(store, { mode: 'flatten', reason: 'drill', nowMs: clock.nowMs() }); // every replica sees it
  // --- README example end ---
  expect(assessment.decision).toBe('APPROVE');
  expect(assessment.adjustedQuoteAmount).toBe('81.25');
  expect(exits.lookbackCandles).toBe(500);
  expect((await store.getRiskState()).killSwitch.engaged).toBe(true);
});
