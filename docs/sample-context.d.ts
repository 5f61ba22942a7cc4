// The names the documentation's TypeScript samples use without defining them: what the surrounding text says
// the reader already has. scripts/doc-samples.test.ts compiles every sample with these in scope; a sample that
// defines one of these names itself shadows it. Keep this list short: a sample that can stand alone should.
import type { Candle, Clock, FeatureSet, Logger, OrderExecutor, Pipeline, PipelineStore, Product, RiskManager, SignalModel, TradeValidator } from '@tradepipe/core';

declare global {
  /** A built pipeline (`createPipeline(...)`). */
  const pipeline: Pipeline;
  /** Where a listener logs (`createJsonLogger()`). */
  const logger: Logger;
  /** A store (`createMemoryStore()`, `createPgliteStore()`, `createPgStore()`). */
  const store: PipelineStore;
  /** The pipeline's clock. */
  const clock: Clock;
  /** A feature set (`createFeatureSet()`). */
  const features: FeatureSet;
  /** A signal model (`loadDefaultModel(...)`). */
  const model: SignalModel;
  /** A validator (`createRuleValidator(...)`, `createOllamaTradeValidator(...)`). */
  const validator: TradeValidator;
  /** A risk manager (`createRiskManager(...)`). */
  const risk: RiskManager;
  /** An executor (`createPaperExecutor(...)`). */
  const executor: OrderExecutor;
  /** Closed candles before the replayed period, oldest first (they warm the features). */
  const history: Candle[];
  /** Closed candles of the replayed period, oldest first. */
  const holdOut: Candle[];
  /** The product traded (`ProductSchema.parse({ productId: 'BTC-USD', … })`). */
  const product: Product;
}
