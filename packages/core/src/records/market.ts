import { z } from 'zod';
import { DecimalStringSchema, NonNegativeDecimalSchema } from '../decimal.js';
import { GRANULARITIES, GranularitySchema } from '../time.js';

/** zod schema of a product id such as `BTC-USD`. */
export const ProductIdSchema = z.string().regex(/^[A-Z0-9]{2,12}-[A-Z0-9]{2,12}$/, 'expected a product id like BTC-USD');

/** A product id such as `BTC-USD`. */
export type ProductId = z.infer<typeof ProductIdSchema>;

/**
 * The prices a candle may carry: 1e-12 … 1e12 in its quote currency, wide enough for any real market
 * (a token at a trillionth of a dollar, an index at a trillion) and narrow enough that every feature
 * computed from such candles is finite (squares, products and ratios of prices stay far from the
 * float64 limits; 5e-324 or 1e200 do not).
 * @example
 * CANDLE_PRICE_RANGE.max; // 1e12
 */
export const CANDLE_PRICE_RANGE = { min: 1e-12, max: 1e12 } as const;

/**
 * The volumes a candle may carry, in base units: exactly 0 (nothing traded) or 1e-12 … 1e18. The floor
 * on a positive volume keeps price × volume away from underflow (a 5e-324 volume made the rolling VWAP
 * 0 and its distance infinite).
 * @example
 * CANDLE_VOLUME_RANGE.max; // 1e18
 */
export const CANDLE_VOLUME_RANGE = { minPositive: 1e-12, max: 1e18 } as const;

const price = z.number().min(CANDLE_PRICE_RANGE.min).max(CANDLE_PRICE_RANGE.max);

/**
 * Candles start before this instant, 2100-01-01 UTC (epoch ms): a later start is a unit mistake, not data (epoch
 * milliseconds read as seconds land in the year 43,000, and a daily series then has a 999-day gap between candles).
 */
export const MAX_CANDLE_START_MS = Date.UTC(2100, 0, 1);

/**
 * zod schema of a closed OHLCV candle (`crypto_prices`). Prices lie in {@link CANDLE_PRICE_RANGE}, volume
 * is 0 or in {@link CANDLE_VOLUME_RANGE}, `high` bounds and `low` floors open and close, and `startMs` is
 * aligned to the granularity. `gapFilled` marks a candle the gap policy made up (close carried forward,
 * zero volume).
 */
export const CandleSchema = z
  .object({
    productId: ProductIdSchema,
    granularity: GranularitySchema,
    /** Start of the bucket, epoch ms UTC, before {@link MAX_CANDLE_START_MS}. The candle closes at `startMs + granularityMs`. */
    startMs: z.number().int().nonnegative().lt(MAX_CANDLE_START_MS, 'startMs is not before 2100-01-01 (epoch milliseconds read as seconds?)'),
    open: price,
    high: price,
    low: price,
    close: price,
    /** Base-currency volume traded in the bucket: 0, or 1e-12 … 1e18. */
    volume: z
      .number()
      .max(CANDLE_VOLUME_RANGE.max)
      .refine((volume) => volume === 0 || volume >= CANDLE_VOLUME_RANGE.minPositive, 'volume is neither 0 nor at least 1e-12'),
    gapFilled: z.boolean().default(false),
  })
  .superRefine((candle, context) => {
    if (candle.high < candle.low) context.addIssue({ code: 'custom', path: ['high'], message: 'high is below low' });
    if (candle.high < Math.max(candle.open, candle.close)) {
      context.addIssue({ code: 'custom', path: ['high'], message: 'high is below open or close' });
    }
    if (candle.low > Math.min(candle.open, candle.close)) {
      context.addIssue({ code: 'custom', path: ['low'], message: 'low is above open or close' });
    }
    if (candle.startMs % GRANULARITIES[candle.granularity] !== 0) {
      context.addIssue({ code: 'custom', path: ['startMs'], message: 'startMs is not aligned to the granularity' });
    }
  });

/** A closed OHLCV candle; see {@link CandleSchema}. */
export interface Candle extends z.output<typeof CandleSchema> {}

/** Whether a candle's bucket has ended at `nowMs`, so its values can no longer change. */
export function isCandleClosed(candle: Pick<Candle, 'startMs' | 'granularity'>, nowMs: number): boolean {
  return candle.startMs + GRANULARITIES[candle.granularity] <= nowMs;
}

/** When a candle's bucket ends (and its data becomes available), epoch ms. */
export function candleCloseMs(candle: Pick<Candle, 'startMs' | 'granularity'>): number {
  return candle.startMs + GRANULARITIES[candle.granularity];
}

/** Trading status of a product: only `online` products take market orders. */
export const ProductStatusSchema = z.enum(['online', 'disabled', 'cancel_only', 'limit_only']);

/** Trading status of a product. */
export type ProductStatus = z.infer<typeof ProductStatusSchema>;

/** zod schema of a tradable product with its increments and size limits (decimal strings). */
export const ProductSchema = z.object({
  productId: ProductIdSchema,
  baseCurrency: z.string().min(1),
  quoteCurrency: z.string().min(1),
  baseIncrement: NonNegativeDecimalSchema,
  quoteIncrement: NonNegativeDecimalSchema,
  priceIncrement: NonNegativeDecimalSchema,
  baseMinSize: NonNegativeDecimalSchema,
  baseMaxSize: NonNegativeDecimalSchema.optional(),
  quoteMinSize: NonNegativeDecimalSchema,
  quoteMaxSize: NonNegativeDecimalSchema.optional(),
  status: ProductStatusSchema,
  /** Last traded price when the product was read, if known. */
  price: DecimalStringSchema.optional(),
});

/** A tradable product; see {@link ProductSchema}. */
export interface Product extends z.output<typeof ProductSchema> {}

/** Whether a product takes market orders now. */
export function isProductTradable(product: Pick<Product, 'status'>): boolean {
  return product.status === 'online';
}

/**
 * zod schema of a feature vector: the values of a feature set, in the set's order, computed from
 * candles up to and including the one starting at `candleStartMs` and nothing later.
 */
export const FeatureVectorSchema = z.object({
  productId: ProductIdSchema,
  granularity: GranularitySchema,
  candleStartMs: z.number().int().nonnegative(),
  featureSetVersion: z.string().min(1),
  values: z.array(z.number().finite()).min(1).readonly(),
});

/** A feature vector; see {@link FeatureVectorSchema}. */
export interface FeatureVector extends z.output<typeof FeatureVectorSchema> {}
