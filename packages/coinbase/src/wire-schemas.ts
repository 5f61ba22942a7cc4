import { z } from 'zod';
import { NonNegativeDecimalSchema } from '@tradepipe/core';

// zod schemas of Coinbase Advanced Trade responses (see docs/api-facts.md, section A). Amounts stay decimal
// strings; empty strings, which Coinbase sends for absent amounts, become undefined.

const optionalDecimal = z
  .union([z.literal(''), NonNegativeDecimalSchema])
  .optional()
  .transform((value) => (value === '' ? undefined : value));
const integerString = z.string().regex(/^-?\d+$/);
const plainDecimalText = z.string().regex(/^\d+(\.\d+)?$/);

/** @internal */
export const ErrorBodySchema = z.object({
  error: z.string().optional(),
  error_details: z.string().optional(),
  message: z.string().optional(),
});

/** @internal */
export const ServerTimeSchema = z.object({ iso: z.string(), epochSeconds: integerString, epochMillis: integerString });

const MoneySchema = z.object({ value: NonNegativeDecimalSchema, currency: z.string() });

/** zod schema of a Coinbase account (`GET /accounts`): one currency's available balance and hold. */
export const AccountSchema = z.object({
  uuid: z.string(),
  name: z.string().optional(),
  currency: z.string().min(1),
  available_balance: MoneySchema,
  hold: MoneySchema.optional(),
  active: z.boolean().optional(),
  ready: z.boolean().optional(),
  type: z.string().optional(),
});

/** @internal */
export const AccountsPageSchema = z.object({
  accounts: z.array(AccountSchema),
  has_next: z.boolean(),
  cursor: z.string().default(''),
  size: z.number().int().optional(),
});

/** @internal */
export const WireProductSchema = z.object({
  product_id: z.string(),
  price: optionalDecimal,
  base_increment: NonNegativeDecimalSchema,
  quote_increment: NonNegativeDecimalSchema,
  price_increment: NonNegativeDecimalSchema.optional(),
  base_min_size: NonNegativeDecimalSchema,
  base_max_size: optionalDecimal,
  quote_min_size: NonNegativeDecimalSchema,
  quote_max_size: optionalDecimal,
  status: z.string().default('online'),
  trading_disabled: z.boolean().default(false),
  cancel_only: z.boolean().default(false),
  limit_only: z.boolean().default(false),
  post_only: z.boolean().default(false),
  is_disabled: z.boolean().optional(),
  product_type: z.string().optional(),
  base_currency_id: z.string().min(1),
  quote_currency_id: z.string().min(1),
});

/** @internal */
export const ProductsSchema = z.object({ products: z.array(WireProductSchema), num_products: z.number().int().optional() });

const PriceLevelSchema = z.object({ price: NonNegativeDecimalSchema, size: NonNegativeDecimalSchema });

/** @internal */
export const BestBidAskSchema = z.object({
  pricebooks: z.array(
    z.object({ product_id: z.string(), bids: z.array(PriceLevelSchema), asks: z.array(PriceLevelSchema), time: z.string().optional() }),
  ),
});

/** @internal */
export const WireCandleSchema = z.object({
  start: integerString,
  // Candles become numbers at ingest (market data, not money): a pattern check is enough here.
  low: plainDecimalText,
  high: plainDecimalText,
  open: plainDecimalText,
  close: plainDecimalText,
  volume: plainDecimalText,
});

/** @internal */
export const CandlesSchema = z.object({ candles: z.array(WireCandleSchema) });

/** @internal */
export const TransactionSummarySchema = z.object({
  total_volume: z.number().optional(),
  total_fees: z.number().optional(),
  fee_tier: z.object({
    pricing_tier: z.string().optional(),
    taker_fee_rate: NonNegativeDecimalSchema,
    maker_fee_rate: NonNegativeDecimalSchema,
  }),
});

const ErrorResponseSchema = z.object({
  error: z.string().optional(),
  message: z.string().optional(),
  error_details: z.string().optional(),
  preview_failure_reason: z.string().optional(),
  new_order_failure_reason: z.string().optional(),
});

/** @internal */
export const CreateOrderResponseSchema = z.object({
  success: z.boolean(),
  failure_reason: z.string().optional(),
  order_id: z.string().optional(),
  success_response: z
    .object({ order_id: z.string().min(1), product_id: z.string().optional(), side: z.string().optional(), client_order_id: z.string().optional() })
    .optional(),
  error_response: ErrorResponseSchema.optional(),
});

/** zod schema of an order preview (`POST /orders/preview`). */
export const PreviewOrderResponseSchema = z.object({
  order_total: optionalDecimal,
  commission_total: optionalDecimal,
  quote_size: optionalDecimal,
  base_size: optionalDecimal,
  best_bid: optionalDecimal,
  best_ask: optionalDecimal,
  slippage: optionalDecimal,
  preview_id: z.string().optional(),
  errs: z.array(z.string()).default([]),
  warning: z.array(z.string()).default([]),
  is_max: z.boolean().optional(),
});

/** zod schema of a Coinbase order status: PENDING, OPEN, FILLED, CANCELLED, EXPIRED, FAILED, UNKNOWN_ORDER_STATUS, QUEUED, CANCEL_QUEUED. */
export const WireOrderStatusSchema = z.enum([
  'PENDING',
  'OPEN',
  'FILLED',
  'CANCELLED',
  'EXPIRED',
  'FAILED',
  'UNKNOWN_ORDER_STATUS',
  'QUEUED',
  'CANCEL_QUEUED',
]);

/**
 * zod schema of a Coinbase order (`GET /orders/historical/{id}`); amounts are decimal strings, empty ones undefined.
 * A status this version does not know reads as `UNKNOWN_ORDER_STATUS` (the order keeps its state and is polled
 * again) rather than failing the answer, so a new Coinbase status never ends the tracking of a placed order.
 */
export const WireOrderSchema = z.object({
  order_id: z.string().min(1),
  product_id: z.string(),
  side: z.enum(['BUY', 'SELL']),
  client_order_id: z.string(),
  status: WireOrderStatusSchema.catch('UNKNOWN_ORDER_STATUS'),
  order_type: z.string().optional(),
  time_in_force: z.string().optional(),
  created_time: z.string().optional(),
  filled_size: optionalDecimal,
  average_filled_price: optionalDecimal,
  filled_value: optionalDecimal,
  total_fees: optionalDecimal,
  number_of_fills: z.string().optional(),
  reject_reason: z.string().optional(),
  reject_message: z.string().optional(),
  cancel_message: z.string().optional(),
  order_configuration: z.record(z.string(), z.unknown()).optional(),
});

/** @internal */
export const GetOrderSchema = z.object({ order: WireOrderSchema });

/** @internal */
export const ListOrdersSchema = z.object({
  orders: z.array(WireOrderSchema),
  has_next: z.boolean().default(false),
  cursor: z.string().default(''),
});

/** zod schema of a Coinbase fill (`GET /orders/historical/fills`); amounts are decimal strings. */
export const WireFillSchema = z.object({
  entry_id: z.string().optional(),
  trade_id: z.string().min(1),
  order_id: z.string().min(1),
  trade_time: z.string(),
  trade_type: z.string().optional(),
  price: NonNegativeDecimalSchema,
  size: NonNegativeDecimalSchema,
  commission: NonNegativeDecimalSchema,
  product_id: z.string(),
  liquidity_indicator: z.enum(['MAKER', 'TAKER', 'UNKNOWN_LIQUIDITY_INDICATOR']).default('TAKER'),
  size_in_quote: z.boolean().optional(),
  side: z.enum(['BUY', 'SELL']),
});

/** @internal */
export const ListFillsSchema = z.object({ fills: z.array(WireFillSchema), cursor: z.string().default('') });

/** @internal */
export const BatchCancelSchema = z.object({
  results: z.array(z.object({ success: z.boolean(), failure_reason: z.string().optional(), order_id: z.string() })),
});

