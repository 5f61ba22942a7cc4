import { recordIdsAfter, type RecordIdsAfter } from './ids.js';
import type { Signal } from './records/trading.js';

/** The fields of a signal's natural key. */
type KeyFields = Pick<Signal, 'pipelineId' | 'productId' | 'granularity' | 'candleStartMs'>;

/** Whether a signal's key fields have the types a key is made of (a record the store took unparsed may not). */
function hasKeyTypes(signal: KeyFields): boolean {
  return typeof signal.pipelineId === 'string' && typeof signal.productId === 'string' && typeof signal.granularity === 'string' && typeof signal.candleStartMs === 'number';
}

/** One pipeline's series: the latest candle start among its stored signals, and its signals' ids. */
class SeriesEntry {
  /** The latest candle start of a stored signal of the series (-Infinity before the first). */
  latestMs = Number.NEGATIVE_INFINITY;
  private ids: RecordIdsAfter | undefined;

  constructor(
    readonly pipelineId: string,
    readonly productId: string,
    readonly granularity: string,
  ) {}

  /** The id the pipeline derives for the series' signal at a candle start. */
  idAt(candleStartMs: number): string {
    return (this.ids ??= recordIdsAfter('signal', [this.pipelineId, this.productId, this.granularity]))(candleStartMs);
  }
}

/**
 * Tells, without hashing its id, when a signal whose id is derived from its natural key
 * (`recordId('signal', [pipelineId, productId, granularity, candleStartMs])`, as the pipeline makes every signal) is
 * certainly not stored: every stored signal's id is derived from its own key (checked with one hash as each is
 * stored, unless the writer vouches for it), and the signal's candle start is after every stored one of its series.
 * Two signals with one id then share a key (SHA-256), and no signal of that key is stored. The batched replay's
 * quiet signals are all such: the memory store appends them without hashing their ids (see
 * `SignalColumns.appendDerivedRow`).
 * @internal
 */
export class DerivedIdGuard {
  private readonly series = new Map<string, SeriesEntry>();
  /** The entry last used (a replay stores one series' signals in a row). */
  private last: SeriesEntry | undefined;
  /** Stored signals whose id is not the one derived from their key: while there is one, no signal is certainly new. */
  private foreign = 0;
  /** What the bulk write in progress changed, to take back. */
  private undo: { readonly foreign: number; readonly latestMs: Map<SeriesEntry, number> } | undefined;

  /** Starts a bulk write: what {@link note} changes until {@link commit} is taken back by {@link rollback}. */
  begin(): void {
    this.undo = { foreign: this.foreign, latestMs: new Map() };
  }

  /** Keeps what the write noted. */
  commit(): void {
    this.undo = undefined;
  }

  /** Takes back what the write noted. */
  rollback(): void {
    const undo = this.undo;
    if (undo === undefined) return;
    this.foreign = undo.foreign;
    for (const [entry, latestMs] of undo.latestMs) entry.latestMs = latestMs;
    this.undo = undefined;
  }

  /** Whether no stored signal can have the id derived from `signal`'s key (false when that cannot be told without the id). */
  isCertainlyNew(signal: KeyFields): boolean {
    if (this.foreign > 0) return false;
    const entry = this.entryOf(signal, false);
    return entry === undefined || signal.candleStartMs > entry.latestMs;
  }

  /** Whether `signal`'s id is the one its key derives (one hash). */
  isOwnKeyId(signal: KeyFields & { readonly id: string }): boolean {
    return hasKeyTypes(signal) && this.entryOf(signal, true)!.idAt(signal.candleStartMs) === signal.id;
  }

  /**
   * Notes a signal just stored.
   * @param derived true when the writer vouches that its id is derived from its key (else one hash checks it)
   */
  note(signal: KeyFields & { readonly id: string }, derived: boolean): void {
    if (!hasKeyTypes(signal)) {
      this.foreign += 1;
      return;
    }
    const { candleStartMs } = signal;
    const entry = this.entryOf(signal, true)!;
    if (!derived && entry.idAt(candleStartMs) !== signal.id) this.foreign += 1;
    if (candleStartMs > entry.latestMs) {
      if (this.undo !== undefined && !this.undo.latestMs.has(entry)) this.undo.latestMs.set(entry, entry.latestMs);
      entry.latestMs = candleStartMs;
    }
  }

  /**
   * Notes a signal just stored that follows (`SignalRow.follows`) the signal noted last: same series, later start, id
   * derived. Its series' latest start is its own.
   */
  noteFollowing(candleStartMs: number): void {
    const entry = this.last!;
    if (this.undo !== undefined && !this.undo.latestMs.has(entry)) this.undo.latestMs.set(entry, entry.latestMs);
    entry.latestMs = candleStartMs;
  }

  /** The entry of a signal's series (made when `create`). */
  private entryOf(signal: KeyFields, create: boolean): SeriesEntry | undefined {
    const last = this.last;
    if (last !== undefined && last.productId === signal.productId && last.granularity === signal.granularity && last.pipelineId === signal.pipelineId) return last;
    const key = `${signal.pipelineId}\u0000${signal.productId}\u0000${signal.granularity}`;
    let entry = this.series.get(key);
    if (entry === undefined) {
      if (!create) return undefined;
      entry = new SeriesEntry(signal.pipelineId, signal.productId, signal.granularity);
      this.series.set(key, entry);
    }
    this.last = entry;
    return entry;
  }
}
