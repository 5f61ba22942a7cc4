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

/** One partition's signals of one state in a bulk write, as the queue's settled columns take them. */
interface SignalRun {
  readonly partitionKey: string;
  readonly orderKeys: number[];
  readonly ids: string[];
  readonly reasons: (string | undefined)[];
}

/**
 * Stores the signals not stored yet (first of each id) in `signals` and returns them; throws on a conflict with a
 * stored or an earlier batch item, having taken back what it stored. The record map doubles as the batch's own
 * seen-set: one lookup and one insert per signal.
 */
function storeNewSignals(signals: Map<string, Signal>, items: NonNullable<BulkWrite['signals']>): NonNullable<BulkWrite['signals']>[number][] {
  const fresh: NonNullable<BulkWrite['signals']>[number][] = [];
  try {
    for (const item of items) {
      const { record } = item;
      const stored = signals.get(record.id);
      if (stored === undefined) {
        signals.set(record.id, record);
        fresh.push(item);
      } else if (stored !== record && canonicalJson(stored) !== canonicalJson(record)) {
        throw conflict('signal', record.id);
      }
    }
  } catch (error) {
    forgetSignals(signals, fresh);
    throw error;
  }
  return fresh;
}

function forgetSignals(signals: Map<string, Signal>, fresh: NonNullable<BulkWrite['signals']>): void {
  for (const { record } of fresh) signals.delete(record.id);
}

/** Signals grouped by state, then by partition, in input order: what the queue's settled columns take. */
function signalRuns(items: NonNullable<BulkWrite['signals']>): Map<string, Map<string, SignalRun>> {
  const runs = new Map<string, Map<string, SignalRun>>();
  let run: SignalRun | undefined;
  let previous: NonNullable<BulkWrite['signals']>[number] | undefined;
  for (const item of items) {
    const { record } = item;
    if (run === undefined || item.state !== previous!.state || record.productId !== previous!.record.productId || record.granularity !== previous!.record.granularity) {
      let byPartition = runs.get(item.state);
      if (byPartition === undefined) runs.set(item.state, (byPartition = new Map()));
      const partitionKey = partitionKeyOf(record);
      run = byPartition.get(partitionKey);
      if (run === undefined) byPartition.set(partitionKey, (run = { partitionKey, orderKeys: [], ids: [], reasons: [] }));
    }
    previous = item;
    run.orderKeys.push(record.candleStartMs);
    run.ids.push(record.id);
    run.reasons.push(item.reason);
  }
  return runs;
}

/**
 * The in-memory store's `writeBulk`: checks everything first (candles as `putCandles` checks them,
 * recommendations with their schema, conflicts with stored records and within the batch), then applies it,
 * so a conflict writes nothing. Signals are the pipeline's own records and are not re-parsed here (a
 * quarter of a replayed candle's cost otherwise). Settled work of a fresh candle run and of signals goes to
 * the queue's settled columns (no entry object per item).
 * @internal
 */
export function applyBulkWrite(targets: BulkTargets, batch: BulkWrite): void {
  const checked = (batch.candles ?? []).map((candle) => checkCandle(candle));
  const freshRun = isFreshRun(targets.candles, checked);
  const candles = freshRun ? checked : newItems(
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
  // Stored here already (the last check that can fail takes them back): the record map is the batch's seen-set.
  const signals = storeNewSignals(targets.signals, batch.signals ?? []);
  let freshRecommendations: typeof recommendations;
  try {
    freshRecommendations = newItems(recommendations, (item) => item.record.id, (id) => targets.recommendations.get(id), (item) => item.record, 'recommendation');
  } catch (error) {
    forgetSignals(targets.signals, signals);
    throw error;
  }
  const candleState = batch.candleState ?? 'DONE';
  const first = candles[0];
  if (freshRun) {
    targets.candles.appendFresh(candles);
    if (first !== undefined) targets.queue.addSettled('candle', candleState, partitionKeyOf(first), candles.map((candle) => candle.startMs));
  } else {
    targets.candles.insert(candles);
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
  }
  for (const [state, byPartition] of signalRuns(signals)) {
    for (const { partitionKey, orderKeys, ids, reasons } of byPartition.values()) targets.queue.addSettled('signal', state, partitionKey, orderKeys, ids, reasons);
  }
  for (const { record } of freshRecommendations) targets.recommendations.set(record.id, record);
  for (const [state, items] of groupByState(freshRecommendations)) {
    targets.queue.addFresh('recommendation', state, items.map(({ record, reason }) => ({ id: record.id, partitionKey: partitionKeyOf(record), orderKey: record.createdAtMs, reason })));
  }
}
