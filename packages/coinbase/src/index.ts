/**
 * @packageDocumentation
 * Coinbase Advanced Trade for tradepipe: a typed REST client (JWT auth with CDP keys, rate limits, typed
 * errors), the live {@link CoinbaseOrderExecutor} (explicit opt-in, never places an order twice), the
 * default {@link PaperExecutor}, and {@link CoinbaseCandleSource} (REST backfill and WebSocket candles).
 * A fake exchange for tests is in `@tradepipe/coinbase/testing`.
 */
export { loadCdpKey, parseCdpKey, type CdpKey, type CdpKeyAlgorithm, type CdpKeySource } from './cdp-key.js';
export { createJwtSigner, type JwtSigner, type JwtSignerOptions } from './jwt-signer.js';
export { createRateLimiter, type RateLimiter } from './rate-limiter.js';
export { CoinbaseClientOptionsSchema, type CoinbaseClientSettings } from './client-options.js';
export { MAX_RETRY_AFTER_MS } from './http-errors.js';
export {
  createCoinbaseClient,
  MAX_CANDLES_PER_REQUEST,
  type BestBidAsk,
  type CallOptions,
  type CoinbaseAccount,
  type CoinbaseClient,
  type CoinbaseClientOptions,
  type FeeTier,
} from './client.js';
export type { CoinbaseFill, CoinbaseOrder, CoinbaseOrderCalls, CoinbaseOrderStatus, ListOrdersQuery, OrderPreview, OrdersPage } from './client-orders.js';
export type { CreateOrderRequest, OrderConfiguration } from './order-request.js';
export { CoinbaseOrderExecutor, CoinbaseOrderExecutorOptionsSchema, type CoinbaseOrderExecutorOptions } from './coinbase-executor.js';
export type { BalanceDrift, BalanceReconciliation, PositionDrift } from './coinbase-reconcile.js';
export {
  ANSWER_ABOUT_ANOTHER_ORDER_REASON,
  HELD_ORDER_REASON_PREFIX,
  MAX_OPERATOR_REASON_LENGTH,
  OPERATOR_SETTLED_REASON_PREFIX,
  isHeldOrder,
  listHeldOrders,
  settleHeldOrder,
  type HeldOrder,
  type OperatorFill,
  type RecordedFillTotals,
  type SettleHeldOrderInput,
  type SettledHeldOrder,
} from './held-orders.js';
export {
  createPaperExecutor,
  fundPaperAccount,
  DEFAULT_PAPER_TAKER_FEE_BPS,
  PaperExecutor,
  PaperExecutorOptionsSchema,
  type PaperExecutorOptions,
  type PaperQuoteSource,
} from './paper-executor.js';
export { simulatePaperFill, type PaperFill, type PaperFillRequest } from './paper-fill-model.js';
export { CoinbaseCandleSource, type CoinbaseCandleSourceOptions } from './candle-source.js';
export type { WebSocketFactory } from './candle-websocket.js';
export {
  AccountSchema,
  WireFillSchema,
  WireOrderSchema,
  WireOrderStatusSchema,
  PreviewOrderResponseSchema,
} from './wire-schemas.js';
export { downloadCandles, type CandleSink, type DownloadCandlesOptions, type DownloadProgress, type DownloadResult } from './candle-download.js';
export { CANDLE_CSV_HEADER, createCsvCandleSink, createStoreCandleSink } from './candle-sinks.js';
