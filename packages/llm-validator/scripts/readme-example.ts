/**
 * The README's usage example, kept here so the typecheck holds it to the API (`npx tsx --conditions=@tradepipe/source
 * scripts/readme-example.ts` runs it against the fake Ollama).
 */
import { TradeRecommendationSchema, createManualClock, recordId, silentLogger } from '@tradepipe/core';
import type { PipelineStore, StageContext, ValidationInput } from '@tradepipe/core';
import { createOllamaTradeValidator, createRuleValidator } from '@tradepipe/llm-validator';
import { startFakeOllama } from '@tradepipe/llm-validator/testing';

const ollama = await startFakeOllama(); // in production: your Ollama at http://127.0.0.1:11434
ollama.script({ kind: 'approve', reasons: ['uptrend intact', 'volatility normal'] });

const validator = createOllamaTradeValidator({ host: ollama.url, model: 'llama3.2', timeoutMs: 20_000, concurrency: 2 });
const secondOpinion = createRuleValidator({ minConfidence: 0.6, maxVolatility: 0.04 });

const clock = createManualClock(Date.UTC(2026, 0, 1, 1));
const recommendation = TradeRecommendationSchema.parse({
  id: recordId('recommendation', ['demo', 'BTC-USD', 'ONE_HOUR', Date.UTC(2026, 0, 1), 'open']),
  pipelineId: 'demo',
  productId: 'BTC-USD',
  granularity: 'ONE_HOUR',
  candleStartMs: Date.UTC(2026, 0, 1),
  side: 'BUY',
  intent: 'open',
  origin: { type: 'signal', signalId: 'sig_demo', confidence: 0.7 },
  quoteAmount: '100',
  referencePrice: 64_000,
  createdAtMs: Date.UTC(2026, 0, 1, 1),
  expiresAtMs: Date.UTC(2026, 0, 1, 1, 5),
});
const input: ValidationInput = { recommendation, signal: undefined, recentCandles: [], featureNames: [] };
// The pipeline passes its own context; the validators never touch the store.
const context: StageContext = { pipelineId: 'demo', clock, logger: silentLogger, signal: new AbortController().signal, store: {} as PipelineStore };

try {
  const validation = await validator.validate(input, context);
  console.log(validation.decision, validation.reasons, validation.failure?.kind);
  const rules = await secondOpinion.validate(input, context);
  console.log(rules.decision, rules.riskFlags); // REJECT ['insufficient_data']: no candles given
} catch (error) {
  // Only TradepipeError('llm_unavailable'), retryable: the pipeline retries, then records retries_exhausted.
  console.error(error);
} finally {
  await ollama.close();
}
