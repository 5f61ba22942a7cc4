import type { Signal } from '@tradepipe/core';
import { BinaryCopyWriter } from './copy-binary.js';

/** The signal columns a COPY fills, in the order {@link SignalCopyData.add} writes them. */
const SIGNAL_COPY_COLUMNS = [
  'id',
  'pipeline_id',
  'product_id',
  'granularity',
  'candle_start_ms',
  'action',
  'confidence',
  'model_id',
  'model_version',
  'record',
  'content_hash',
  'state',
  'state_reason',
  'available_at_ms',
  'updated_at_ms',
  'feature_values',
];

/** Bytes per signal a COPY's buffer starts with (a signal of 51 feature values takes about 1 kB). */
const SIGNAL_COPY_BYTES = 1_200;

/**
 * A chunk of signals as binary COPY data, each row written as it is prepared: every column as the INSERT path
 * computes it (key columns from the record, which binary COPY takes without parsing text; the record's JSON
 * without its feature values as `jsonb`; the values as float64 bytes), so nothing of a row but its bytes
 * outlives its preparation (a chunk's prepared rows held until the COPY were most of a bulk write's garbage
 * collection).
 * @internal
 */
export class SignalCopyData {
  private readonly writer: BinaryCopyWriter;
  /** Rows added. */
  rows = 0;

  /**
   * @param nowMs the write's time (`available_at_ms`, `updated_at_ms`)
   * @param expectedRows how many rows the chunk will likely hold (sizes the buffer)
   */
  constructor(
    private readonly nowMs: number,
    expectedRows: number,
  ) {
    this.writer = new BinaryCopyWriter(expectedRows * SIGNAL_COPY_BYTES);
  }

  /** Adds a parsed signal's row: its record's JSON without the feature values, content hash, work state and reason. */
  add(signal: Signal, recordJson: string, hash: string, state: string, reason: string | null): void {
    this.writer
      .tuple(SIGNAL_COPY_COLUMNS.length)
      .text(signal.id)
      .text(signal.pipelineId)
      .text(signal.productId)
      .text(signal.granularity)
      .int8(signal.candleStartMs)
      .text(signal.action)
      .float8(signal.confidence === 0 ? 0 : signal.confidence) // -0 as 0, as the JSON paths store it
      .text(signal.modelId)
      .text(signal.modelVersion)
      .jsonb(recordJson)
      .text(hash)
      .text(state)
      .optionalText(reason)
      .int8(this.nowMs)
      .int8(this.nowMs)
      .float64sLittleEndian(signal.features.values);
    this.rows += 1;
  }

  /** The data, with its trailer (the writer is done). */
  finish(): Uint8Array {
    return this.writer.finish();
  }
}

/** The target of a signal COPY: `trading_signals` and the columns {@link SignalCopyData} writes. @internal */
export function signalCopyTarget(s: string): string {
  return `${s}.trading_signals (${SIGNAL_COPY_COLUMNS.join(', ')})`;
}
