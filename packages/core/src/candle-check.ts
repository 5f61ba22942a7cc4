import { TradepipeError } from './errors.js';
import { parseWith } from './parse.js';
import { CANDLE_PRICE_RANGE, CANDLE_VOLUME_RANGE, CandleSchema, MAX_CANDLE_START_MS, type Candle } from './records/market.js';
import type { CandleQuery } from './store.js';
import { GRANULARITIES } from './time.js';

const PRODUCT_ID = /^[A-Z0-9]{2,12}-[A-Z0-9]{2,12}$/;
const CANDLE_KEY_COUNT = 9;
/** The last product id that matched {@link PRODUCT_ID} (a series' candles share one: one regex run per series). */
let lastValidProductId = '';
/** The last granularity that was one of {@link GRANULARITIES}, and its length (a series' candles share one: one lookup per series). */
let lastGranularity = '';
/** NaN until a granularity is known: no start is aligned to it. */
let lastGranularityMs = Number.NaN;

/** Whether `key` is one of a candle's nine keys (a switch: no set lookup per key of every candle). */
function isCandleKey(key: string): boolean {
  switch (key) {
    case 'productId':
    case 'granularity':
    case 'startMs':
    case 'open':
    case 'high':
    case 'low':
    case 'close':
    case 'volume':
    case 'gapFilled':
      return true;
    default:
      return false;
  }
}

// The bounds as module constants: read on every field of every candle.
const PRICE_MIN = CANDLE_PRICE_RANGE.min;
const PRICE_MAX = CANDLE_PRICE_RANGE.max;
const VOLUME_MIN_POSITIVE = CANDLE_VOLUME_RANGE.minPositive;
const VOLUME_MAX = CANDLE_VOLUME_RANGE.max;
const isPrice = (value: unknown): value is number => typeof value === 'number' && value >= PRICE_MIN && value <= PRICE_MAX;
const isVolume = (value: unknown): value is number => typeof value === 'number' && (value === 0 || (value >= VOLUME_MIN_POSITIVE && value <= VOLUME_MAX));

/**
 * Whether `value` is a candle that {@link CandleSchema} accepts unchanged (every field present and valid,
 * nothing extra, `gapFilled` given). A plain check, about 30× cheaper than the schema.
 */
function isPlainValidCandle(value: unknown): value is Candle {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const candle = value as Record<string, unknown>;
  let keys = 0;
  for (const key in candle) {
    if (!Object.prototype.hasOwnProperty.call(candle, key)) return false;
    if (!isCandleKey(key)) return false;
    keys += 1;
  }
  if (keys !== CANDLE_KEY_COUNT || typeof candle.gapFilled !== 'boolean') return false;
  const { productId, granularity, startMs, open, high, low, close, volume } = candle;
  if (typeof productId !== 'string') return false;
  if (productId !== lastValidProductId) {
    if (!PRODUCT_ID.test(productId)) return false;
    lastValidProductId = productId;
  }
  if (typeof granularity !== 'string') return false;
  if (granularity !== lastGranularity) {
    if (!Object.prototype.hasOwnProperty.call(GRANULARITIES, granularity)) return false;
    lastGranularity = granularity;
    lastGranularityMs = GRANULARITIES[granularity as keyof typeof GRANULARITIES];
  }
  if (typeof startMs !== 'number' || !Number.isSafeInteger(startMs) || startMs < 0 || startMs >= MAX_CANDLE_START_MS) return false;
  if (!isPrice(open) || !isPrice(high) || !isPrice(low) || !isPrice(close) || !isVolume(volume)) return false;
  if (high < low || high < Math.max(open, close) || low > Math.min(open, close)) return false;
  return startMs % lastGranularityMs === 0;
}

/**
 * Checks a candle with the verdicts of {@link CandleSchema}: a candle the schema takes unchanged passes a
 * plain check; anything else (a missing `gapFilled`, an extra key, an invalid field) goes through the
 * schema, which fills defaults, strips extra keys or throws as `putCandles` does.
 * @throws TradepipeError `validation_failed`
 * @internal For store implementations' bulk writes.
 */
export function checkCandle(value: unknown): Candle {
  return isPlainValidCandle(value) ? value : parseWith(CandleSchema, value, 'candle');
}

/**
 * Checks a `getCandles` query before a store answers it, so that every store refuses the same queries alike: a
 * product id that is not a string, an unknown granularity, an `asOfMs` or `fromStartMs` that is not a finite number,
 * a `limit` that is not a non-negative integer (a fraction, NaN, −1 or Infinity were read as `slice` reads them by
 * the memory store, and refused by the database as a storage failure).
 * @throws TradepipeError `validation_failed`, naming the field
 * @internal For store implementations.
 */
export function checkCandleQuery(query: CandleQuery): void {
  const refuse = (field: string, value: unknown): never => {
    throw new TradepipeError('validation_failed', `The candle query's ${field} is not valid`, { details: { field, value: String(value) } });
  };
  if (query === null || typeof query !== 'object') refuse('query', query);
  if (typeof query.productId !== 'string') refuse('productId', query.productId);
  if (typeof query.granularity !== 'string' || !Object.prototype.hasOwnProperty.call(GRANULARITIES, query.granularity)) refuse('granularity', query.granularity);
  if (!Number.isFinite(query.asOfMs)) refuse('asOfMs', query.asOfMs);
  if (query.fromStartMs !== undefined && !Number.isFinite(query.fromStartMs)) refuse('fromStartMs', query.fromStartMs);
  if (query.limit !== undefined && !(Number.isSafeInteger(query.limit) && query.limit >= 0)) refuse('limit', query.limit);
}
