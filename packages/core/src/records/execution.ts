import { z } from 'zod';
import { NonNegativeDecimalSchema, DecimalStringSchema } from '../decimal.js';
import { ProductIdSchema } from './market.js';
import { TradeSideSchema } from './trading.js';

const idSchema = z.string().min(1).max(128);
const timeMs = z.number().int().nonnegative();

/**
 * The life of an order. `INTENT_RECORDED` is written before any request leaves; a live executor records
 * `UNKNOWN` (reason {@link ORDER_REASON_SEND_IN_FLIGHT}) just before each request that may place the order, so
 * `UNKNOWN` means "may be on the exchange": the send is in flight, its answer was lost or its process stopped,
 * and it must be reconciled before anything else; `SUBMITTED` without an exchange order id means every send so
 * far provably placed nothing (reason {@link ORDER_REASON_NOTHING_PLACED}); `EXECUTED`, `REJECTED` and `FAILED`
 * are terminal. An IOC order that fills in part and is cancelled for the rest ends `EXECUTED` with its
 * filled size.
 */
export const OrderStatusSchema = z.enum([
  'INTENT_RECORDED',
  'SUBMITTED',
  'ACKNOWLEDGED',
  'PARTIALLY_FILLED',
  'EXECUTED',
  'REJECTED',
  'FAILED',
  'UNKNOWN',
]);

/** The status of an order. */
export type OrderStatus = z.infer<typeof OrderStatusSchema>;

/** `statusReason` of an `UNKNOWN` order whose request to the exchange is in flight (written just before it). */
export const ORDER_REASON_SEND_IN_FLIGHT = 'SEND_IN_FLIGHT';

/**
 * `statusReason` of a `SUBMITTED` order every send of which provably placed nothing (a 429, a connection that
 * never opened): it may be sent again while its approval holds.
 */
export const ORDER_REASON_NOTHING_PLACED = 'NOTHING_PLACED';

/** Statuses an order never leaves. */
export const TERMINAL_ORDER_STATUSES: readonly OrderStatus[] = ['EXECUTED', 'REJECTED', 'FAILED'];

/** Which status may follow which. Same-status updates (new fills) are always allowed for non-terminal ones. */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  INTENT_RECORDED: ['SUBMITTED', 'ACKNOWLEDGED', 'PARTIALLY_FILLED', 'EXECUTED', 'REJECTED', 'FAILED', 'UNKNOWN'],
  SUBMITTED: ['ACKNOWLEDGED', 'PARTIALLY_FILLED', 'EXECUTED', 'REJECTED', 'FAILED', 'UNKNOWN'],
  UNKNOWN: ['SUBMITTED', 'ACKNOWLEDGED', 'PARTIALLY_FILLED', 'EXECUTED', 'REJECTED', 'FAILED'],
  ACKNOWLEDGED: ['PARTIALLY_FILLED', 'EXECUTED', 'FAILED', 'UNKNOWN'],
  PARTIALLY_FILLED: ['PARTIALLY_FILLED', 'EXECUTED', 'FAILED', 'UNKNOWN'],
  EXECUTED: [],
  REJECTED: [],
  FAILED: [],
};

/** Whether an order may move from `from` to `to`. */
export function canTransitionOrder(from: OrderStatus, to: OrderStatus): boolean {
  if (from === to) return !TERMINAL_ORDER_STATUSES.includes(from);
  return ORDER_TRANSITIONS[from].includes(to);
}

/** How an order is placed: market IOC, limit IOC with a price cap (slippage guard), or limit GTC. */
export const OrderTypeSchema = z.enum(['market_ioc', 'limit_ioc', 'limit_gtc']);

/** How an order is placed. */
export type OrderType = z.infer<typeof OrderTypeSchema>;

/**
 * zod schema of an order: one per recommendation (its id derives from the recommendation), with a
 * deterministic `clientOrderId`, sizes and fills as decimal strings.
 */
export const OrderSchema = z.object({
  id: idSchema,
  recommendationId: idSchema,
  approvalId: idSchema,
  clientOrderId: z.string().min(1).max(128),
  venue: z.enum(['paper', 'coinbase']),
  productId: ProductIdSchema,
  side: TradeSideSchema,
  orderType: OrderTypeSchema,
  /** BUY by quote: the quote amount to spend (fees included, as Coinbase does for quote-size market orders). */
  quoteSize: NonNegativeDecimalSchema.optional(),
  /** SELL (or BUY by base): the base size. */
  baseSize: NonNegativeDecimalSchema.optional(),
  limitPrice: NonNegativeDecimalSchema.optional(),
  status: OrderStatusSchema,
  exchangeOrderId: z.string().max(128).optional(),
  filledBaseSize: NonNegativeDecimalSchema,
  filledQuoteValue: NonNegativeDecimalSchema,
  averageFillPrice: NonNegativeDecimalSchema.optional(),
  totalFees: NonNegativeDecimalSchema,
  /** The exchange's reason for a rejection (e.g. `INSUFFICIENT_FUND`), or why it failed. */
  statusReason: z.string().max(1000).optional(),
  createdAtMs: timeMs,
  updatedAtMs: timeMs,
  submittedAtMs: timeMs.optional(),
  completedAtMs: timeMs.optional(),
});

/** An order; see {@link OrderSchema}. */
export interface Order extends z.output<typeof OrderSchema> {}

/** zod schema of a fill: one trade against an order. Its id is the exchange's trade id (or the paper venue's). */
export const FillSchema = z.object({
  id: z.string().min(1).max(128),
  orderId: idSchema,
  clientOrderId: z.string().min(1).max(128),
  venue: z.enum(['paper', 'coinbase']),
  productId: ProductIdSchema,
  side: TradeSideSchema,
  price: NonNegativeDecimalSchema,
  sizeBase: NonNegativeDecimalSchema,
  commission: NonNegativeDecimalSchema,
  liquidity: z.enum(['MAKER', 'TAKER']),
  filledAtMs: timeMs,
});

/** A fill; see {@link FillSchema}. */
export interface Fill extends z.output<typeof FillSchema> {}

/**
 * zod schema of a position, maintained by the store from fills: size held, average entry price
 * (commission included), cost basis and realised PnL, all decimal strings.
 */
export const PositionSchema = z.object({
  productId: ProductIdSchema,
  sizeBase: NonNegativeDecimalSchema,
  averageEntryPrice: NonNegativeDecimalSchema,
  costBasisQuote: NonNegativeDecimalSchema,
  realizedPnlQuote: DecimalStringSchema,
  /** When the position last went from flat to open. */
  openedAtMs: timeMs.optional(),
  updatedAtMs: timeMs,
});

/** A position; see {@link PositionSchema}. */
export interface Position extends z.output<typeof PositionSchema> {}

/** zod schema of a currency balance: available and on hold, decimal strings. */
export const BalanceSchema = z.object({
  currency: z.string().min(1).max(16),
  available: NonNegativeDecimalSchema,
  hold: NonNegativeDecimalSchema,
  updatedAtMs: timeMs,
});

/** A balance; see {@link BalanceSchema}. */
export interface Balance extends z.output<typeof BalanceSchema> {}

/** Status of a health check or report. */
export const HealthStatusSchema = z.enum(['ok', 'degraded', 'failing']);

/** Status of a health check or report. */
export type HealthStatus = z.infer<typeof HealthStatusSchema>;

/** zod schema of a health report: a service's checks at an instant. */
export const HealthReportSchema = z.object({
  service: z.string().min(1),
  status: HealthStatusSchema,
  checks: z.array(
    z.object({
      name: z.string().min(1),
      status: HealthStatusSchema,
      message: z.string().max(1000).optional(),
      value: z.number().finite().optional(),
    }),
  ),
  reportedAtMs: timeMs,
});

/** A health report; see {@link HealthReportSchema}. */
export interface HealthReport extends z.output<typeof HealthReportSchema> {}
