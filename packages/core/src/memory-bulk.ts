import { checkCandle } from './candle-check.js';
import { TradepipeError } from './errors.js';
import { canonicalJson } from './ids.js';
import type { CandleSeries } from './memory-candles.js';
import type { MemoryQueue } from './memory-queue.js';
import type { MemorySignals, StoredSignals } from './memory-signals.js';
import type { Candle } from './records/market.js';
import type { TradeRecommendation } from './records/trading.js';
import { checkCandlesClosed, parseRecordWrite } from './store-rules.js';
import { candleWorkId, partitionKeyOf, type BulkWrite } from './store.js';

/**
 * Set to true on a bulk write whose candles are each what `checkCandle` returned for them (the batched replay's,
 * checked as its chunk was read): the core memory store does not check them again. Any other store ignores it.
 * @internal
 */
export const CANDLES_CHECKED: unique symbol = Symbol('tradepipe.candlesChecked');

/** The parts of the in-memory store a bulk write touches. @internal */
export interface BulkTargets {
  readonly candles: CandleSeries;
  readonly signals: MemorySignals;
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

type BulkSignal = NonNullable<BulkWrite['signals']>[number];

/** One partition's column-held signals of one state in a bulk write, as the queue's settled columns take them. */
interface SignalRun {
  readonly partitionKey: string;
  readonly orderKeys: number[];
  readonly handles: number[];
  readonly reasons: (string | undefined)[];
}

/**
 * Signals grouped by state, then by partition, in input order: the column-held ones as the queue's settled
 * columns take them (by handle, their partition and candle start read from the columns: an item's `record` is
 * read once, by {@link MemorySignals.storeBulk}), the others (in the record map) as entries.
 */
function signalRuns(signals: MemorySignals, stored: StoredSignals<BulkSignal>): { runs: Map<string, Map<string, SignalRun>>; others: BulkSignal[] } {
  const runs = new Map<string, Map<string, SignalRun>>();
  const others: BulkSignal[] = [];
  let run: SignalRun | undefined;
  let previousState = '';
  let previousPartitionKey = '';
  const { items, handles } = stored;
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index]!;
    const handle = handles[index]!;
    if (handle < 0) {
      others.push(item);
      continue;
    }
    const partitionKey = signals.partitionKeyOf(handle);
    if (run === undefined || item.state !== previousState || partitionKey !== previousPartitionKey) {
      let byPartition = runs.get(item.state);
      if (byPartition === undefined) runs.set(item.state, (byPartition = new Map()));
      run = byPartition.get(partitionKey);
      if (run === undefined) byPartition.set(partitionKey, (run = { partitionKey, orderKeys: [], handles: [], reasons: [] }));
      previousState = item.state;
      previousPartitionKey = partitionKey;
    }
    run.orderKeys.push(signals.candleStartMsOf(handle));
    run.handles.push(handle);
    run.reasons.push(item.reason);
  }
  return { runs, others };
}

/**
 * The in-memory store's `writeBulk`: checks everything first (candles as `putCandles` checks them, closed at `nowMs`,
 * recommendations with their schema, conflicts with stored records and within the batch), then applies it,
 * so a conflict writes nothing. Signals are the pipeline's own records and are not re-parsed here (a
 * quarter of a replayed candle's cost otherwise). Settled work of a fresh candle run and of signals goes to
 * the queue's settled columns (no entry object per item).
 * @internal
 */
export function applyBulkWrite(targets: BulkTargets, batch: BulkWrite & { readonly [CANDLES_CHECKED]?: true }, nowMs: number): void {
  const checked = batch[CANDLES_CHECKED] === true ? (batch.candles ?? []) : (batch.candles ?? []).map((candle) => checkCandle(candle));
  checkCandlesClosed(checked, nowMs);
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
  // Stored here already (the last check that can fail takes them back): the stored signals are the batch's seen-set.
  const signals = targets.signals.storeBulk(batch.signals ?? []);
  let freshRecommendations: typeof recommendations;
  try {
    freshRecommendations = newItems(recommendations, (item) => item.record.id, (id) => targets.recommendations.get(id), (item) => item.record, 'recommendation');
  } catch (error) {
    targets.signals.rollbackBulk();
    throw error;
  }
  targets.signals.commitBulk();
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
  const { runs, others } = signalRuns(targets.signals, signals);
  for (const [state, byPartition] of runs) {
    for (const { partitionKey, orderKeys, handles, reasons } of byPartition.values()) targets.queue.addSettled('signal', state, partitionKey, orderKeys, handles, reasons);
  }
  for (const [state, items] of groupByState(others)) {
    targets.queue.addFresh('signal', state, items.map(({ record, reason }) => ({ id: record.id, partitionKey: partitionKeyOf(record), orderKey: record.candleStartMs, reason })));
  }
  for (const { record } of freshRecommendations) targets.recommendations.set(record.id, record);
  for (const [state, items] of groupByState(freshRecommendations)) {
    targets.queue.addFresh('recommendation', state, items.map(({ record, reason }) => ({ id: record.id, partitionKey: partitionKeyOf(record), orderKey: record.createdAtMs, reason })));
  }
}
