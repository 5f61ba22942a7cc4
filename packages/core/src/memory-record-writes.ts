import { TradepipeError } from './errors.js';
import { canonicalJson } from './ids.js';
import type { GroupedRecords } from './memory-indexes.js';
import type { MemoryQueue } from './memory-queue.js';
import type { MemorySignals } from './memory-signals.js';
import type { RiskAssessment } from './records/risk.js';
import type { LlmValidation, TradeRecommendation } from './records/trading.js';
import { parseRecordWrite } from './store-rules.js';
import { partitionKeyOf, type InsertResult, type RecordWrite } from './store.js';

/** A write checked against what is stored: `duplicate` when an equal record is stored already (first write wins). */
export interface CheckedWrite {
  readonly write: RecordWrite;
  readonly duplicate: boolean;
}

/**
 * The memory store's record writes (the records a completion, a failure's terminal writes or an insert carry):
 * checked all first, as the SQL stores' inserts see them, then applied, each work item entering the queue.
 * @internal
 */
export class MemoryRecordWrites {
  constructor(
    private readonly targets: {
      readonly signals: MemorySignals;
      readonly recommendations: Map<string, TradeRecommendation>;
      readonly validations: Map<string, LlmValidation>;
      readonly validationsByRecommendation: GroupedRecords<LlmValidation>;
      readonly assessments: Map<string, RiskAssessment>;
      readonly queue: MemoryQueue;
    },
  ) {}

  /**
   * Parses every write and checks it against what is stored and against the batch's earlier writes.
   * @throws TradepipeError `validation_failed` for a write that does not parse, `record_conflict` for one that differs from a stored or earlier record of its key (nothing is applied)
   */
  check(writes: readonly RecordWrite[]): CheckedWrite[] {
    const batch = writes.length > 1 ? new Map<string, unknown>() : undefined;
    return writes.map((write) => {
      const record = parseRecordWrite(write);
      const key = batch === undefined ? '' : `${record.type}/${record.type === 'assessment' ? record.record.recommendationId : record.record.id}`;
      const existing = this.existingFor(record) ?? batch?.get(key);
      if (existing === undefined) {
        batch?.set(key, record.record);
        return { write: record, duplicate: false };
      }
      if (canonicalJson(existing) === canonicalJson(record.record)) return { write: record, duplicate: true };
      throw new TradepipeError('record_conflict', 'A record with this id exists with other content; the first write stands', {
        details: { type: write.type, id: record.record.id },
      });
    });
  }

  /** Applies a checked write; a work item it adds wakes its state's waiters unless `wake` is false. */
  apply({ write, duplicate }: CheckedWrite, wake = true): InsertResult {
    if (duplicate) return { status: 'duplicate' };
    const { signals, recommendations, validations, validationsByRecommendation, assessments, queue } = this.targets;
    switch (write.type) {
      case 'signal':
        signals.add(write.record);
        queue.add('signal', write.record.id, partitionKeyOf(write.record), write.record.candleStartMs, 'PENDING', undefined, wake);
        break;
      case 'recommendation':
        recommendations.set(write.record.id, write.record);
        queue.add('recommendation', write.record.id, partitionKeyOf(write.record), write.record.createdAtMs, write.state, write.reason, wake);
        break;
      case 'validation':
        validations.set(write.record.id, write.record);
        validationsByRecommendation.add(write.record.recommendationId, write.record);
        break;
      case 'assessment':
        assessments.set(write.record.recommendationId, write.record);
        break;
    }
    return { status: 'inserted' };
  }

  /** The stored record a write's key holds, if any. */
  private existingFor(write: RecordWrite): unknown {
    const { signals, recommendations, validations, assessments } = this.targets;
    switch (write.type) {
      case 'signal':
        return signals.existingFor(write.record);
      case 'recommendation':
        return recommendations.get(write.record.id);
      case 'validation':
        return validations.get(write.record.id);
      case 'assessment':
        return assessments.get(write.record.recommendationId);
    }
  }
}
