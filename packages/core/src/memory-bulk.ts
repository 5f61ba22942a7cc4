import { checkCandle } from './candle-check.js';
import { TradepipeError } from './errors.js';
import { canonicalJson } from './ids.js';
import type { CandleSeries } from './memory-candles.js';
import type { MemoryQueue } from './memory-queue.js';
import type { Candle } from './records/market.js';
import type { Signal, TradeRecommendation } from './records/trading.js';
import { parseRecordWrite } from './store-rules.js';
import { candleWorkId, partitionKeyOf, type BulkWrite } from './store.js';

/** The parts of the in-memory store a bulk write touches. @internal */
export interface BulkTargets {
  readonly candles: CandleSeries;
  readonly signals: Map<string, Signal>;
  readonly recommendations: Map<string, TradeRecommendation>;
  readonly queue: MemoryQueue;
}

function conflict(type: string, id: string): TradepipeError {
  return new TradepipeError('record_conflict', 'A record with this id exists with other content; the first write stands', { details: { type, id } });
}

/** The items not stored yet (first of each id); throws on a conflict with a stored or an earlier batch item. */
function newItems<T>(items: readonly T[], idOf: (item: T) => string, existing: (id: string) => unknown, contentOf: (item: T) => unknown, type: string): T[] {
  const fresh: T[] = [];
  const seen = new Map<string, T>();
  for (const item of items) {
    const id = idOf(item);
    const stored = existing(id) ?? (seen.has(id) ? contentOf(seen.get(id)!) : undefined);
    if (stored === undefined) {
      seen.set(id, item);
      fresh.push(item);
    } else if (canonicalJson(stored) !== canonicalJson(contentOf(item))) {
      throw conflict(type, id);
    }
  }
  return fresh;
}

/** Items grouped by their `state`, in input order. */
function groupByState<T extends { readonly state: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.state);
    if (group === undefined) groups.set(item.state, [item]);
    else group.push(item);
  }
  return groups;
}

/** Whether the candles are one series, strictly increasing, all after its latest stored candle: nothing to compare. */
function isFreshRun(series: CandleSeries, candles: readonly Candle[]): boolean {
  const first = candles[0];
  if (first === undefined) return true;
  const latest = series.latest(first.productId, first.granularity);
  let previousStartMs = latest === undefined ? -1 : latest.startMs;
  for (const candle of candles) {
    if (candle.productId !== first.productId || candle.granularity !== first.granularity || candle.startMs <= previousStartMs) return false;
    previousStartMs = candle.startMs;
  }
  return true;
}

/**
 * The in-memory store's `writeBulk`: checks everything first (candles as `putCandles` checks them,
 * recommendations with their schema, conflicts with stored records and within the batch), then applies it,
 * so a conflict writes nothing. Signals are the pipeline's own records and are not re-parsed here (a
 * quarter of a replayed candle's cost otherwise).
 * @internal
 */
export function applyBulkWrite(targets: BulkTargets, batch: BulkWrite): void {
  const checked = (batch.candles ?? []).map((candle) => checkCandle(candle));
  const candles = isFreshRun(targets.candles, checked) ? checked : newItems(
    checked,
    candleWorkId,
    (id) => {
      const [productId, granularity, startMs] = id.split('/');
      return targets.candles.at(productId!, granularity as Candle['granularity'], Number(startMs));
    },
    (candle) => candle,
    'candle',
  );
  const recommendations = (batch.recommendations ?? []).map((item) => {
    const write = parseRecordWrite({ type: 'recommendation', ...item });
    return write as Extract<typeof write, { type: 'recommendation' }>;
  });
  const signals = newItems(batch.signals ?? [], (item) => item.record.id, (id) => targets.signals.get(id), (item) => item.record, 'signal');
  const freshRecommendations = newItems(recommendations, (item) => item.record.id, (id) => targets.recommendations.get(id), (item) => item.record, 'recommendation');
  targets.candles.insert(candles);
  const candleState = batch.candleState ?? 'DONE';
  const first = candles[0];
  const firstPartitionKey = first === undefined ? '' : partitionKeyOf(first);
  targets.queue.addFresh(
    'candle',
    candleState,
    candles.map((candle) => ({
      id: candleWorkId(candle),
      partitionKey: candle.productId === first!.productId && candle.granularity === first!.granularity ? firstPartitionKey : partitionKeyOf(candle),
      orderKey: candle.startMs,
    })),
  );
  for (const { record } of signals) targets.signals.set(record.id, record);
  for (const [state, items] of groupByState(signals)) {
    targets.queue.addFresh('signal', state, items.map(({ record, reason }) => ({ id: record.id, partitionKey: partitionKeyOf(record), orderKey: record.candleStartMs, ...(reason === undefined ? {} : { reason }) })));
  }
  for (const { record } of freshRecommendations) targets.recommendations.set(record.id, record);
  for (const [state, items] of groupByState(freshRecommendations)) {
    targets.queue.addFresh('recommendation', state, items.map(({ record, reason }) => ({ id: record.id, partitionKey: partitionKeyOf(record), orderKey: record.createdAtMs, reason })));
  }
}
