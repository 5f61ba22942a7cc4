import { randomBytes } from 'node:crypto';
import {
  createHmacApprovalSigner,
  createPipeline,
  decimal,
  type Clock,
  type Logger,
  type Pipeline,
  type PipelineOptions,
  type PipelineStore,
  type Product,
} from '@tradepipe/core';
import { PaperExecutor, fundPaperAccount } from '@tradepipe/coinbase';
import { FEATURE_NAMES, FEATURE_SET_VERSION, createFeatureSet } from '@tradepipe/features';
import { createRuleValidator } from '@tradepipe/llm-validator';
import { loadDefaultModel, modelCardFigures } from '@tradepipe/model';
import { createExitPolicy, createRiskManager } from '@tradepipe/risk';

/** BTC-USD as Coinbase lists it. */
export const BTC_USD: Product = {
  productId: 'BTC-USD',
  baseCurrency: 'BTC',
  quoteCurrency: 'USD',
  baseIncrement: decimal('0.00000001'),
  quoteIncrement: decimal('0.01'),
  priceIncrement: decimal('0.01'),
  baseMinSize: decimal('0.00000001'),
  quoteMinSize: decimal('1'),
  status: 'online',
};

/** The paper account the embedded run starts with. */
export const STARTING_USD = 1_000;

/** The paper executor's costs (the report charges the baselines the same): 1.2 % taker fee, 5 bps slippage. */
export const PAPER_COSTS = { feeRateBps: 120, slippageBps: 5 } as const;

/**
 * Every stage of the seed in one process on embedded defaults: the 51 features, the shipped ONNX model,
 * the $100 signal bridge, the deterministic rule validator standing in for Ollama (no server here), the
 * risk manager with exits, and the paper executor filling at the next candle's open. `plugins` adds plugins
 * (validators, listeners, middleware).
 */
export async function createEmbeddedPipeline(options: { store: PipelineStore; clock: Clock; logger: Logger; approvalSecret?: string; plugins?: PipelineOptions['plugins'] }): Promise<Pipeline> {
  // The approval secret lives only in this process: risk and executor share it here.
  const signer = createHmacApprovalSigner({ keyId: 'embedded', secret: options.approvalSecret ?? randomBytes(32).toString('hex') });
  await options.store.putProduct(BTC_USD);
  // Fund the paper account before the first decision: risk sizes against equity from the store's balances.
  await fundPaperAccount(options.store, { USD: String(STARTING_USD) }, options.clock.nowMs());
  const model = await loadDefaultModel({ expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION, productIds: [BTC_USD.productId] });
  return createPipeline({
    pipelineId: 'embedded-btc-usd',
    store: options.store,
    clock: options.clock,
    logger: options.logger,
    features: createFeatureSet(),
    model,
    // The rule validator's bar comes from walk-forward data (chosen by the model's training script, written
    // into its card), never from the hold-out year replayed here.
    validator: createRuleValidator({ name: 'rules', minConfidence: modelCardFigures(model.metadata).walkForward?.validatorMinConfidence ?? 0.6 }),
    risk: createRiskManager({
      signer,
      approvalTtlMs: 5 * 60_000,
      limits: {
        maxOrderQuote: 100,
        maxPositionQuote: 600,
        maxTotalExposureQuote: 600,
        maxPortfolioHeat: 0.5,
        maxDailyLossFraction: 0.05,
        maxOrdersPerHour: 10,
      },
    }),
    exits: createExitPolicy({ stopLossAtr: 2, takeProfitAtr: 4, trailingStopAtr: 3, recommendationTtlMs: 10 * 60_000 }),
    executor: new PaperExecutor({ approvalSigner: signer, slippageBps: PAPER_COSTS.slippageBps, takerFeeRateBps: PAPER_COSTS.feeRateBps }),
    ...(options.plugins === undefined ? {} : { plugins: options.plugins }),
  });
}
