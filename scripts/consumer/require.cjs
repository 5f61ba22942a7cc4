// The same packages through require(): every CommonJS entry loads, the default model loads from its
// packaged path, and a feature engine and a store work.
const core = require('@tradepipe/core');
const { FEATURE_NAMES, FEATURE_SET_VERSION, createFeatureSet } = require('@tradepipe/features');
const { loadDefaultModel } = require('@tradepipe/model');
const { createRuleValidator } = require('@tradepipe/llm-validator');
const { createRiskManager } = require('@tradepipe/risk');
const { PaperExecutor } = require('@tradepipe/coinbase');
const { createPgliteStore } = require('@tradepipe/storage-pg');
require('@tradepipe/coinbase/testing');
require('@tradepipe/llm-validator/testing');

async function main() {
  const model = await loadDefaultModel({ expectedFeatureNames: FEATURE_NAMES, expectedFeatureSetVersion: FEATURE_SET_VERSION });
  const signer = core.createHmacApprovalSigner({ keyId: 'cjs', secret: 'consumer-test-secret-0123456789abcdef' });
  const parts = [createFeatureSet(), createRuleValidator(), new PaperExecutor({ approvalSigner: signer }),
    createRiskManager({ signer, approvalTtlMs: 1000, limits: { maxOrderQuote: 100, maxPositionQuote: 100, maxTotalExposureQuote: 100, maxPortfolioHeat: 1, maxDailyLossFraction: 0.1, maxOrdersPerHour: 1 } })];
  const store = await createPgliteStore({ clock: core.createManualClock(Date.UTC(2025, 0, 1)) });
  await store.putProduct({ productId: 'BTC-USD', baseCurrency: 'BTC', quoteCurrency: 'USD', baseIncrement: '0.00000001', quoteIncrement: '0.01', priceIncrement: '0.01', baseMinSize: '0.00000001', quoteMinSize: '1', status: 'online' });
  const product = await store.getProduct('BTC-USD');
  await store.close();
  console.log(JSON.stringify({ model: model.modelId, features: FEATURE_NAMES.length, parts: parts.length, product: product.productId }));
}
main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
