import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TradepipeError } from './errors.js';
import { canonicalJson, recordId } from './ids.js';
import { createMemoryStore } from './memory-store.js';
import type { FeatureValuesSource } from './memory-signal-block.js';
import { SIGNAL_ROW, type SignalRow } from './memory-signal-columns.js';
import { MemorySignals } from './memory-signals.js';
import type { Signal, SignalAction } from './records/trading.js';
import { partitionKeyOf, type SignalCountQuery } from './store.js';
import { createManualClock } from './time.js';

fc.configureGlobal({ seed: 20261206, numRuns: 300 });

const PIPELINES = ['p1', 'p2'] as const;
const PRODUCTS = ['BTC-USD', 'ETH-USD'] as const;
const GRANULARITIES = ['ONE_MINUTE', 'ONE_HOUR'] as const;
const ACTIONS = ['BUY', 'SELL', 'HOLD'] as const;
const HOUR_MS = 3_600_000;

/** A signal's natural key, its content variant (same variant, same content) and whether its id is one `recordId` makes. */
const signalSpec = fc.record({
  pipelineId: fc.constantFrom(...PIPELINES),
  productId: fc.constantFrom(...PRODUCTS),
  granularity: fc.constantFrom(...GRANULARITIES),
  hour: fc.integer({ min: 0, max: 12 }),
  variant: fc.integer({ min: 0, max: 1 }),
  customId: fc.boolean(),
  state: fc.constantFrom('DONE', 'PENDING'),
  reason: fc.option(fc.constantFrom('hold', 'stale'), { nil: undefined }),
  /** Whether a bulk write gives the item as a row too (as the batched replay's quiet signals are given). */
  asRow: fc.boolean(),
  /** Whether such a row gives its id's words (as the batched replay's do) rather than only its id. */
  rowWords: fc.boolean(),
  /** Whether such a row has its values recomputed on read by a source (as the batched replay's quiet signals) rather than copied in. */
  lazy: fc.boolean(),
  /** Whether such a row says its id is derived from its key when it is (as the batched replay's do): the columns then may keep it unhashed. */
  rowDerived: fc.boolean(),
  /** Now and then, an id that is `recordId`'s for another hour of the same series: a signal whose id is not its own key's. */
  idOfHour: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 12 }) }),
});

/**
 * Specs of the batched replay's kind: rows whose ids are derived from their keys and said so, no custom id (a
 * single one would make every later row take the hashed path), and now and then a signal whose id is another
 * hour's (the one kind of stored signal that can share an id with a later derived row). One pipeline and product,
 * so that writes often meet stored signals of their series.
 */
const ONE_SERIES = { pipelineId: 'p1', productId: 'BTC-USD' } as const;
const derivedSpec = signalSpec.map((spec) => ({ ...spec, ...ONE_SERIES, customId: false, asRow: true, rowDerived: true, idOfHour: undefined as number | undefined }));
const foreignSpec = fc.tuple(signalSpec, fc.integer({ min: 0, max: 12 })).map(([spec, idOfHour]) => ({ ...spec, ...ONE_SERIES, customId: false, idOfHour }));

/** Content derived from the spec alone, so equal specs give equal (not identical) records; the shape `signalRecord` gives. */
function signalOf(spec: { pipelineId: string; productId: string; granularity: string; hour: number; variant: number; customId: boolean; idOfHour?: number | undefined }, doubles: readonly number[]): Signal {
  const candleStartMs = spec.hour * HOUR_MS;
  const id = spec.customId ? `custom-${spec.pipelineId}-${spec.productId}-${spec.granularity}-${spec.hour}` : recordId('signal', [spec.pipelineId, spec.productId, spec.granularity, (spec.idOfHour ?? spec.hour) * HOUR_MS]);
  const pick = (index: number): number => doubles[(index + spec.variant * 7 + spec.hour) % doubles.length]!;
  const productId = spec.productId as Signal['productId'];
  const granularity = spec.granularity as Signal['granularity'];
  const features = { productId, granularity, candleStartMs, featureSetVersion: `fs-${spec.variant}`, values: [pick(0), pick(1), pick(2)] };
  const action = ACTIONS[(spec.hour + spec.variant) % 3]!;
  const common = { id, pipelineId: spec.pipelineId, productId, granularity, candleStartMs, action, confidence: pick(3) };
  const tail = { modelId: 'model', modelVersion: `v${spec.hour % 2}`, closePrice: pick(4), features, generatedAtMs: candleStartMs + HOUR_MS + spec.variant };
  return spec.hour % 3 === 0 ? { ...common, ...tail } : { ...common, probabilities: { BUY: pick(5), SELL: pick(6), HOLD: pick(7) }, ...tail };
}

type Item = { readonly record: Signal; readonly state: string; readonly reason?: string };

/**
 * A writer's sources of recomputed values, one per block key (what the batched replay has one per series): each
 * gives the values a row of its key was written with, by candle start, as a new array.
 */
class TestSources {
  private readonly sources = new Map<string, FeatureValuesSource & { readonly values: Map<number, readonly number[]> }>();

  /** The source of a record's block key, remembering its values. */
  sourceOf(record: Signal): FeatureValuesSource {
    const key = [record.pipelineId, record.productId, record.granularity, record.modelId, record.modelVersion, record.features.featureSetVersion, record.features.values.length].join('/');
    let source = this.sources.get(key);
    if (source === undefined) {
      const values = new Map<number, readonly number[]>();
      source = { values, valuesAt: (candleStartMs) => (values.has(candleStartMs) ? [...values.get(candleStartMs)!] : undefined) };
      this.sources.set(key, source);
    }
    if (!source.values.has(record.candleStartMs)) source.values.set(record.candleStartMs, [...record.features.values]);
    return source;
  }
}

/**
 * `item` giving itself as a {@link SignalRow} too: its record's fields, the feature values copied from the record
 * (or, with `sources`, recomputed on read by its key's source), with `withWords` its id's words when it is a
 * `recordId` (a custom id has none), and with `derived` saying so when its id is the one its key derives.
 */
function asRowItem(item: Item, withWords: boolean, sources?: TestSources, derived = false): Item {
  const { record } = item;
  const { values } = record.features;
  const ownKeyId = record.id === recordId('signal', [record.pipelineId, record.productId, record.granularity, record.candleStartMs]);
  const row: SignalRow = {
    id: record.id,
    idDerived: () => derived && ownKeyId,
    // As the batched replay's rows: the same pipeline, series, model, feature set, width and source, and before it.
    follows: (previous) =>
      derived &&
      previous.pipelineId === record.pipelineId &&
      previous.productId === record.productId &&
      previous.granularity === record.granularity &&
      previous.modelId === record.modelId &&
      previous.modelVersion === record.modelVersion &&
      previous.featureSetVersion === record.features.featureSetVersion &&
      previous.width === values.length &&
      previous.valuesSource?.() === sources?.sourceOf(record) &&
      previous.candleStartMs < record.candleStartMs,
    idWords: (target) => {
      if (!withWords || !/^sig_[0-9a-f]{32}$/.test(record.id)) return false;
      for (let word = 0; word < 4; word += 1) target[word] = Number.parseInt(record.id.slice(4 + 8 * word, 12 + 8 * word), 16);
      return true;
    },
    pipelineId: record.pipelineId,
    productId: record.productId,
    granularity: record.granularity,
    candleStartMs: record.candleStartMs,
    action: record.action,
    confidence: record.confidence,
    probabilities: record.probabilities,
    modelId: record.modelId,
    modelVersion: record.modelVersion,
    closePrice: record.closePrice,
    generatedAtMs: record.generatedAtMs,
    featureSetVersion: record.features.featureSetVersion,
    width: values.length,
    copyValues: (target, offset) => {
      for (let index = 0; index < values.length; index += 1) target[offset + index] = values[index]!;
      return true;
    },
    valuesSource: () => sources?.sourceOf(record),
  };
  return Object.assign({ ...item }, { [SIGNAL_ROW]: () => row });
}

/** The record map the store kept before the columns: first write wins, a conflict takes the batch back. */
class ReferenceSignals {
  readonly records = new Map<string, Signal>();
  private pending: Item[] = [];

  storeBulk(items: readonly Item[]): Item[] {
    const fresh: Item[] = [];
    try {
      for (const item of items) {
        const stored = this.records.get(item.record.id);
        if (stored === undefined) {
          this.records.set(item.record.id, item.record);
          fresh.push(item);
        } else if (stored !== item.record && canonicalJson(stored) !== canonicalJson(item.record)) {
          throw new TradepipeError('record_conflict', 'conflict');
        }
      }
    } catch (error) {
      for (const item of fresh) this.records.delete(item.record.id);
      throw error;
    }
    this.pending = fresh;
    return fresh;
  }

  rollbackBulk(): void {
    for (const item of this.pending) this.records.delete(item.record.id);
  }

  countByAction(query: SignalCountQuery): Partial<Record<SignalAction, number>> {
    const counts: Partial<Record<SignalAction, number>> = {};
    for (const signal of this.records.values()) {
      if (query.productId !== undefined && signal.productId !== query.productId) continue;
      if (signal.candleStartMs < (query.fromCandleStartMs ?? -Infinity) || signal.candleStartMs > (query.toCandleStartMs ?? Infinity)) continue;
      counts[signal.action] = (counts[signal.action] ?? 0) + 1;
    }
    return counts;
  }
}

/** What an arbitrary generates. */
type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;
type Spec = ValueOf<typeof signalSpec>;

const countOperation = fc.record({
    type: fc.constant('count' as const),
    productId: fc.option(fc.constantFrom(...PRODUCTS), { nil: undefined }),
    from: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
    to: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
});

/**
 * A bulk write of `specs`, kept or taken back; with `lookupDuring`, every id is looked up before that (hashing any
 * unhashed); with `lookupAfter`, every id is looked up after it (else unhashed rows stay so into the next write);
 * with `ahead`, its hours start after every hour written so far (as a replay's do: rows certainly new).
 */
const bulkOperation = (specs: fc.Arbitrary<Spec>) =>
  fc.record({ type: fc.constant('bulk' as const), specs: fc.array(specs, { minLength: 1, maxLength: 10 }), keep: fc.boolean(), lookupDuring: fc.boolean(), lookupAfter: fc.boolean(), ahead: fc.boolean() });

const operation = fc.oneof(
  { weight: 4, arbitrary: bulkOperation(signalSpec) },
  fc.record({ type: fc.constant('add' as const), spec: signalSpec, ahead: fc.constant(false) }),
  countOperation,
);

/** The batched replay's writes: derived rows in bulk, signals one at a time, now and then one whose id is another hour's. */
const derivedOperation = fc.oneof(
  { weight: 6, arbitrary: bulkOperation(derivedSpec) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('add' as const), spec: signalSpec.map((spec) => ({ ...spec, ...ONE_SERIES, customId: false, idOfHour: undefined as number | undefined })), ahead: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('add' as const), spec: foreignSpec, ahead: fc.boolean() }) },
  { weight: 1, arbitrary: bulkOperation(foreignSpec) },
  countOperation,
);

type Operation = ValueOf<typeof operation> | ValueOf<typeof derivedOperation>;

/** Runs the operations on the columns-backed signals and on the record map, and checks they agree at every step. */
function agreeWithReference(operations: readonly Operation[], doubles: readonly number[]): void {
  const signals = new MemorySignals();
  const reference = new ReferenceSignals();
  const sources = new TestSources();
  const ids = new Set<string>();
  const lookUpAll = (): void => {
    for (const id of [...ids, recordId('signal', ['p3', 'BTC-USD', 'ONE_MINUTE', 0])]) {
      const expected = reference.records.get(id);
      const actual = signals.get(id);
      expect(actual).toEqual(expected);
      // The same keys in the same order, and the same values bit for bit (-0 included).
      if (expected !== undefined) expect(Object.keys(actual!)).toEqual(Object.keys(expected));
      if (expected !== undefined) expect(Object.keys(actual!.features)).toEqual(Object.keys(expected.features));
      expect(signals.placeOf(id)).toEqual(expected === undefined ? undefined : { partitionKey: partitionKeyOf(expected), orderKey: expected.candleStartMs });
      // A handle (a column-held signal's) stands for its id; a signal in the map has none.
      const handle = signals.handleOf(id);
      if (handle >= 0) expect(signals.idOf(handle)).toBe(id);
    }
  };
  /** One past the latest hour written so far. */
  let nextHour = 13;
  for (const op of operations) {
    if (op.type === 'bulk') {
      const shift = op.ahead ? nextHour : 0;
      const items: Item[] = op.specs.map((unshifted) => {
        const spec = { ...unshifted, hour: unshifted.hour + shift };
        nextHour = Math.max(nextHour, spec.hour + 1);
        const record = signalOf(spec, doubles);
        ids.add(record.id);
        const item = spec.reason === undefined ? { record, state: spec.state } : { record, state: spec.state, reason: spec.reason };
        return spec.asRow ? asRowItem(item, spec.rowWords, spec.lazy ? sources : undefined, spec.rowDerived) : item;
      });
      let expected: Item[] | string;
      try {
        expected = reference.storeBulk(items);
      } catch (error) {
        expected = (error as TradepipeError).code;
      }
      let actual: Item[] | string;
      try {
        const stored = signals.storeBulk(items);
        // Looked up inside the write (before it is kept or taken back): the ids it left unhashed are hashed now.
        if (op.lookupDuring) for (const id of ids) expect(signals.get(id)).toEqual(reference.records.get(id));
        expect(stored.handles).toHaveLength(stored.items.length);
        for (const [index, item] of stored.items.entries()) {
          const handle = stored.handles[index]!;
          // A handle stands for its id both ways.
          if (handle >= 0) expect(signals.idOf(handle)).toBe(item.record.id);
          if (handle >= 0 && op.lookupDuring) expect(signals.handleOf(item.record.id)).toBe(handle);
        }
        actual = stored.items;
      } catch (error) {
        actual = (error as TradepipeError).code;
      }
      expect(actual).toEqual(expected);
      if (typeof actual !== 'string') {
        if (op.keep) signals.commitBulk();
        else {
          signals.rollbackBulk();
          reference.rollbackBulk();
        }
      }
    } else if (op.type === 'add') {
      // Ahead: after every hour written (its id, if another hour's, stays that hour's: likely a stored signal's).
      const spec = op.ahead ? { ...op.spec, hour: op.spec.hour + nextHour } : op.spec;
      nextHour = Math.max(nextHour, spec.hour + 1);
      const record = signalOf(spec, doubles);
      ids.add(record.id);
      // What the per-record path checks before a write: found without hashing the ids kept unhashed, where it can be.
      expect(signals.existingFor(record)).toEqual(reference.records.get(record.id));
      if (reference.records.has(record.id)) continue;
      reference.records.set(record.id, record);
      signals.add(record);
    } else {
      const query: SignalCountQuery = {
        ...(op.productId === undefined ? {} : { productId: op.productId }),
        ...(op.from === undefined ? {} : { fromCandleStartMs: op.from * HOUR_MS }),
        ...(op.to === undefined ? {} : { toCandleStartMs: op.to * HOUR_MS }),
      };
      const counts = signals.countByAction(query);
      const expected = reference.countByAction(query);
      expect(counts).toEqual(expected);
      expect(Object.keys(counts)).toEqual(Object.keys(expected));
    }
    if (op.type !== 'bulk' || op.lookupAfter) lookUpAll();
  }
  lookUpAll();
}

describe('MemorySignals (bulk-written signals in columns)', () => {
  it('reads, counts, places and refuses exactly like the record map it replaces, over random bulk and single writes (items given as records, rows, or rows whose values a source recomputes)', () => {
    fc.assert(fc.property(fc.array(operation, { minLength: 1, maxLength: 40 }), fc.array(fc.double(), { minLength: 8, maxLength: 8 }), agreeWithReference));
  });

  it('keeps rows whose ids are derived unhashed and still agrees with the record map: duplicates, a signal whose id is another key\'s, lookups in a write, rollbacks', () => {
    fc.assert(fc.property(fc.array(derivedOperation, { minLength: 1, maxLength: 40 }), fc.array(fc.double(), { minLength: 8, maxLength: 8 }), agreeWithReference));
  });

  it('keeps its own copy of a bulk signal\'s feature values, of any width, and leaves values that are not numbers to the record map', () => {
    const signals = new MemorySignals();
    const spec = { pipelineId: 'p1', productId: 'BTC-USD', granularity: 'ONE_MINUTE', variant: 0, customId: false };
    const wide = signalOf({ ...spec, hour: 1 }, [-0, 1.5, Number.MIN_VALUE, -1e308, 0.1, 0.2, 0.3, 0.4]);
    const written = { ...wide, features: { ...wide.features, values: [-0, 1.5, Number.MIN_VALUE, -1e308, 0.1] } };
    const narrow = signalOf({ ...spec, hour: 2 }, [1, 2, 3, 4, 5, 6, 7, 8]);
    const odd = signalOf({ ...spec, hour: 3 }, [1, 2, 3, 4, 5, 6, 7, 8]);
    const notNumbers = { ...odd, features: { ...odd.features, values: [1, '2' as unknown as number, 3] } };
    signals.storeBulk([written, narrow, notNumbers].map((record) => ({ record, state: 'DONE' })));
    signals.commitBulk();
    (written.features.values as number[])[0] = 42;
    const read = signals.get(written.id)!;
    expect(Object.is(read.features.values[0], -0)).toBe(true);
    expect(read.features.values).toEqual([-0, 1.5, Number.MIN_VALUE, -1e308, 0.1]);
    // Each read is a new array: changing one changes nothing stored.
    (read.features.values as number[])[1] = 7;
    expect(signals.get(written.id)!.features.values[1]).toBe(1.5);
    expect(signals.get(narrow.id)).toEqual(narrow);
    expect(signals.get(notNumbers.id)).toBe(notNumbers);
  });
});

describe('MemorySignals: rows kept with their ids unhashed', () => {
  const spec = { pipelineId: 'p1', productId: 'BTC-USD', granularity: 'ONE_MINUTE', variant: 0, customId: false };
  const recordAt = (hour: number, idOfHour?: number): Signal => signalOf({ ...spec, hour, idOfHour }, [0.5, -0, 1e-300, 0.25, 3, 0.1, 0.2, 0.7]);
  const derivedRows = (hours: readonly number[]): Item[] => hours.map((hour) => asRowItem({ record: recordAt(hour), state: 'DONE' }, false, undefined, true));

  it('hashes none of them until a lookup needs it, then finds every one', () => {
    const signals = new MemorySignals();
    signals.storeBulk(derivedRows([1, 2, 3]));
    signals.commitBulk();
    expect(signals.unhashedCount).toBe(3);
    // A write of the next signal (the per-record path) asks without hashing them: its id is its key's, and its key is
    // new; once in the map, its handle is asked for without hashing them either.
    expect(signals.existingFor(recordAt(4))).toBeUndefined();
    signals.add(recordAt(4));
    expect(signals.handleOf(recordAt(4).id)).toBe(-1);
    expect(signals.unhashedCount).toBe(3);
    for (const hour of [3, 1, 2]) expect(signals.get(recordAt(hour).id)).toEqual(recordAt(hour));
    expect(signals.unhashedCount).toBe(0);
  });

  it('appends rows that follow one another with their numbers only, and still finds them when written again', () => {
    const signals = new MemorySignals();
    const sources = new TestSources();
    // Even hours: one model version, so each row follows the one before (same block, same source).
    const rows = (hours: readonly number[]): Item[] => hours.map((hour) => asRowItem({ record: recordAt(hour), state: 'DONE' }, false, sources, true));
    expect(signals.storeBulk(rows([2, 4, 6])).handles).toEqual([0, 1, 2]);
    signals.commitBulk();
    expect(signals.unhashedCount).toBe(3);
    // Each written again is found stored (its series' latest start is the last row's): nothing new.
    expect(signals.storeBulk(rows([4]))).toEqual({ items: [], handles: [] });
    signals.commitBulk();
    expect(signals.storeBulk(rows([8, 6])).items.map((item) => item.record.candleStartMs)).toEqual([8 * HOUR_MS]);
    signals.commitBulk();
    for (const hour of [2, 4, 6, 8]) expect(signals.get(recordAt(hour).id)).toEqual(recordAt(hour));
  });

  it('finds a stored one for a later signal whose id is that stored one\'s (not its own key\'s)', () => {
    const signals = new MemorySignals();
    signals.storeBulk(derivedRows([1, 2, 3]));
    signals.commitBulk();
    // Hour 10's fields, hour 2's id: its key is new, and yet its id is held.
    expect(signals.existingFor(recordAt(10, 2))).toEqual(recordAt(2));
    // A bulk write of it as a row (saying nothing of its id) meets the stored one too: a conflict, nothing written.
    expect(() => signals.storeBulk([asRowItem({ record: recordAt(10, 2), state: 'DONE' }, true)])).toThrow(TradepipeError);
    expect(signals.get(recordAt(2).id)).toEqual(recordAt(2));
  });

  it('takes the hashed path once a signal whose id is not its key\'s is stored', () => {
    const signals = new MemorySignals();
    signals.storeBulk(derivedRows([1, 2]));
    signals.commitBulk();
    signals.add(recordAt(3, 7)); // hour 3, hour 7's id
    // Hour 7 as a derived row is new by its key, but its id is held: the write refuses it as a conflict.
    expect(() => signals.storeBulk(derivedRows([7]))).toThrow(TradepipeError);
    expect(signals.get(recordAt(7).id)).toEqual(recordAt(3, 7));
  });
});

describe('MemorySignals: rows whose feature values a source recomputes', () => {
  const spec = { pipelineId: 'p1', productId: 'BTC-USD', granularity: 'ONE_MINUTE', variant: 0, customId: false };
  const recordAt = (hour: number): Signal => signalOf({ ...spec, hour }, [0.5, -0, 1e-300, 0.25, 3, 0.1, 0.2, 0.7]);

  it('keeps no values of such a row, asks its source at each read, and mixes such rows with copied ones in one block', () => {
    const signals = new MemorySignals();
    const asked: number[] = [];
    const source: FeatureValuesSource = {
      valuesAt: (candleStartMs) => {
        asked.push(candleStartMs);
        return [...recordAt(candleStartMs / HOUR_MS).features.values];
      },
    };
    const items = [1, 2, 3, 4].map((hour) => {
      const item = asRowItem({ record: recordAt(hour), state: 'DONE' }, true);
      if (hour === 3) return item; // copied in
      const row = (item as unknown as Record<symbol, () => SignalRow>)[SIGNAL_ROW]!();
      return Object.assign({ ...item }, { [SIGNAL_ROW]: () => ({ ...row, valuesSource: () => source, copyValues: () => expect.unreachable('a recomputed row copies nothing') }) });
    });
    signals.storeBulk(items);
    signals.commitBulk();
    expect(asked).toEqual([]);
    for (const hour of [4, 1, 3, 2]) {
      const read = signals.get(recordAt(hour).id)!;
      expect(read).toEqual(recordAt(hour));
      expect(Object.keys(read)).toEqual(Object.keys(recordAt(hour)));
    }
    expect(asked).toEqual([4, 1, 2].map((hour) => hour * HOUR_MS));
    // A rolled-back write takes its rows back (copied values included), leaving the earlier ones readable.
    signals.storeBulk([asRowItem({ record: recordAt(5), state: 'DONE' }, true)]);
    signals.rollbackBulk();
    expect(signals.get(recordAt(5).id)).toBeUndefined();
    signals.storeBulk([asRowItem({ record: recordAt(6), state: 'DONE' }, true)]);
    signals.commitBulk();
    expect(signals.get(recordAt(6).id)).toEqual(recordAt(6));
    expect(signals.get(recordAt(3).id)).toEqual(recordAt(3));
  });

  it('gives rows of another source a block of their own, and fails a read its source cannot answer with a typed error', () => {
    const signals = new MemorySignals();
    const first: FeatureValuesSource = { valuesAt: (candleStartMs) => [...recordAt(candleStartMs / HOUR_MS).features.values] };
    const broken: FeatureValuesSource = { valuesAt: () => undefined };
    const withSource = (hour: number, source: FeatureValuesSource): Item => {
      const item = asRowItem({ record: recordAt(hour), state: 'DONE' }, true);
      const row = (item as unknown as Record<symbol, () => SignalRow>)[SIGNAL_ROW]!();
      return Object.assign({ ...item }, { [SIGNAL_ROW]: () => ({ ...row, valuesSource: () => source }) });
    };
    signals.storeBulk([withSource(1, first), withSource(2, broken), withSource(3, first)]);
    signals.commitBulk();
    expect(signals.get(recordAt(1).id)).toEqual(recordAt(1));
    expect(signals.get(recordAt(3).id)).toEqual(recordAt(3));
    expect(() => signals.get(recordAt(2).id)).toThrow(expect.objectContaining({ code: 'internal' }));
  });
});

describe('memory store signals: bulk-written against written one by one', () => {
  it('gives the same records, counts and work states for the pipeline-shaped signals of a replay', async () => {
    const clock = createManualClock(100 * HOUR_MS);
    const bulk = createMemoryStore({ clock });
    const single = createMemoryStore({ clock });
    const doubles = [0.25, 0.5, 1e-300, 0.123456, 0.7, 0.1, 0.2, 0.7];
    const records = Array.from({ length: 24 }, (_, hour) => signalOf({ pipelineId: 'p1', productId: 'BTC-USD', granularity: 'ONE_HOUR', hour, variant: hour % 2, customId: false }, doubles));
    await bulk.writeBulk({ signals: records.map((record, index) => (index % 4 === 0 ? { record, state: 'DONE', reason: 'hold' } : { record, state: 'DONE' })) });
    // One by one: through the per-record path (parsed), each in the queue as the stages leave it.
    for (const [index, record] of records.entries()) {
      await single.putCandles([{ productId: 'BTC-USD', granularity: 'ONE_HOUR', startMs: record.candleStartMs, open: 1, high: 1, low: 1, close: 1, volume: 1, gapFilled: false }]);
      const [claim] = await single.claim({ kind: 'candle', state: 'PENDING', workerId: 'w', limit: 1, leaseMs: 1000, ordered: true });
      await single.complete(claim!, { state: 'DONE', writes: [{ type: 'signal', record }] });
      const [signalClaim] = await single.claim({ kind: 'signal', state: 'PENDING', workerId: 'w', limit: 1, leaseMs: 1000, ordered: true });
      await single.complete(signalClaim!, index % 4 === 0 ? { state: 'DONE', reason: 'hold' } : { state: 'DONE' });
    }
    for (const record of records) {
      expect(await bulk.getSignal(record.id)).toEqual(await single.getSignal(record.id));
      expect(JSON.stringify(await bulk.getSignal(record.id))).toBe(JSON.stringify(await single.getSignal(record.id)));
      const bulkStatus = await bulk.getWorkStatus('signal', record.id);
      const singleStatus = await single.getWorkStatus('signal', record.id);
      expect({ state: bulkStatus?.state, reason: bulkStatus?.reason }).toEqual({ state: singleStatus?.state, reason: singleStatus?.reason });
    }
    expect(await bulk.countSignalsByAction({})).toEqual(await single.countSignalsByAction({}));
    expect(await bulk.countSignalsByAction({ fromCandleStartMs: 3 * HOUR_MS, toCandleStartMs: 9 * HOUR_MS })).toEqual(await single.countSignalsByAction({ fromCandleStartMs: 3 * HOUR_MS, toCandleStartMs: 9 * HOUR_MS }));
    // A refused batch writes nothing: a conflict after fresh signals takes them back.
    const later = signalOf({ pipelineId: 'p1', productId: 'BTC-USD', granularity: 'ONE_HOUR', hour: 40, variant: 0, customId: false }, doubles);
    const conflicting = { ...records[3]!, confidence: 0.123 };
    await expect(bulk.writeBulk({ signals: [{ record: later, state: 'DONE' }, { record: conflicting, state: 'DONE' }] })).rejects.toMatchObject({ code: 'record_conflict' });
    expect(await bulk.getSignal(later.id)).toBeUndefined();
    expect(await bulk.getWorkStatus('signal', later.id)).toBeUndefined();
    expect(await bulk.getSignal(records[3]!.id)).toEqual(records[3]);
  });

  it('keeps the schema fields of a signal with extra ones, and takes the same write again as a duplicate, not a conflict', async () => {
    const store = createMemoryStore({ clock: createManualClock(100 * HOUR_MS) });
    const record = signalOf({ pipelineId: 'p1', productId: 'BTC-USD', granularity: 'ONE_HOUR', hour: 3, variant: 0, customId: false }, [0.5, 0.25]);
    const withExtras = { ...record, probabilities: { BUY: 0.2, SELL: 0.3, HOLD: 0.5, extra: 1 }, note: 'not in the schema' } as unknown as Signal;
    await store.writeBulk({ signals: [{ record: withExtras, state: 'DONE' }] });
    await store.writeBulk({ signals: [{ record: withExtras, state: 'DONE' }] });
    const stored = await store.getSignal(record.id);
    expect(stored).toEqual({ ...record, probabilities: { BUY: 0.2, SELL: 0.3, HOLD: 0.5 } });
    await expect(store.writeBulk({ signals: [{ record: { ...withExtras, confidence: 0.01 }, state: 'DONE' }] })).rejects.toMatchObject({ code: 'record_conflict' });
    // Stored one at a time (parsed: extras dropped), then repeated in bulk with its extras: a duplicate too.
    const single = signalOf({ pipelineId: 'p1', productId: 'BTC-USD', granularity: 'ONE_HOUR', hour: 4, variant: 0, customId: false }, [0.5, 0.25]);
    await store.putCandles([{ productId: 'BTC-USD', granularity: 'ONE_HOUR', startMs: single.candleStartMs, open: 1, high: 1, low: 1, close: 1, volume: 1, gapFilled: false }]);
    const [claim] = await store.claim({ kind: 'candle', state: 'PENDING', workerId: 'w', limit: 1, leaseMs: 1000, ordered: true });
    await store.complete(claim!, { state: 'DONE', writes: [{ type: 'signal', record: single }] });
    await store.writeBulk({ signals: [{ record: { ...single, note: 'not in the schema' } as unknown as Signal, state: 'DONE' }] });
    // A malformed repeat (bulk records are not parsed) is a conflict, not a TypeError.
    await expect(store.writeBulk({ signals: [{ record: { ...withExtras, probabilities: null } as unknown as Signal, state: 'DONE' }] })).rejects.toMatchObject({ code: 'record_conflict' });
    await expect(store.writeBulk({ signals: [{ record: { ...withExtras, features: null } as unknown as Signal, state: 'DONE' }] })).rejects.toMatchObject({ code: 'record_conflict' });
  });
});
