import {
  TradepipeError,
  contentHash,
  type InsertResult,
  type RecordWrite,
} from '@tradepipe/core';
import { nowSql, type StoreContext } from './context.js';
import type { SqlExecutor } from './sql-driver.js';

interface InsertPlan {
  readonly table: string;
  /** Column that identifies the record (the first write on it stands). */
  readonly keyColumn: string;
  readonly key: string;
  readonly columns: readonly string[];
  readonly values: readonly unknown[];
  /** Whether the row is a work item (gets state and queue columns). */
  readonly work?: { readonly state: string; readonly reason: string | null };
}

function planFor(write: RecordWrite): InsertPlan {
  switch (write.type) {
    case 'signal': {
      const r = write.record;
      return {
        table: 'trading_signals',
        keyColumn: 'id',
        key: r.id,
        columns: ['id', 'pipeline_id', 'product_id', 'granularity', 'candle_start_ms', 'action', 'confidence', 'model_id', 'model_version'],
        values: [r.id, r.pipelineId, r.productId, r.granularity, r.candleStartMs, r.action, r.confidence, r.modelId, r.modelVersion],
        work: { state: 'PENDING', reason: null },
      };
    }
    case 'recommendation': {
      const r = write.record;
      return {
        table: 'trade_recommendations',
        keyColumn: 'id',
        key: r.id,
        columns: ['id', 'pipeline_id', 'product_id', 'granularity', 'candle_start_ms', 'side', 'intent', 'quote_amount', 'base_size', 'created_at_ms', 'expires_at_ms'],
        values: [r.id, r.pipelineId, r.productId, r.granularity, r.candleStartMs, r.side, r.intent, r.quoteAmount, r.baseSize ?? null, r.createdAtMs, r.expiresAtMs],
        work: { state: write.state, reason: write.reason ?? null },
      };
    }
    case 'validation': {
      const r = write.record;
      return {
        table: 'llm_validation',
        keyColumn: 'id',
        key: r.id,
        columns: ['id', 'recommendation_id', 'validator', 'decision', 'validated_at_ms'],
        values: [r.id, r.recommendationId, r.validator, r.decision, r.validatedAtMs],
      };
    }
    case 'assessment': {
      const r = write.record;
      return {
        table: 'risk_assessments',
        keyColumn: 'recommendation_id',
        key: r.recommendationId,
        columns: ['recommendation_id', 'id', 'product_id', 'decision', 'assessed_at_ms'],
        values: [r.recommendationId, r.id, r.productId, r.decision, r.assessedAtMs],
      };
    }
  }
}

/**
 * Writes one parsed record first-write-wins: inserted, a `duplicate` of the same content, or refused.
 * @throws TradepipeError `record_conflict` when the stored record has other content (nothing is changed)
 * @internal
 */
export async function applyRecordWrite(context: StoreContext, executor: SqlExecutor, write: RecordWrite, now: number | null): Promise<InsertResult> {
  const plan = planFor(write);
  const hash = contentHash(write.record);
  const columns = [...plan.columns, 'record', 'content_hash'];
  const values: unknown[] = [...plan.values, JSON.stringify(write.record), hash];
  const placeholders = columns.map((column, index) => (column === 'record' ? `$${index + 1}::jsonb` : `$${index + 1}`));
  let sql: string;
  if (plan.work === undefined) {
    sql = `INSERT INTO ${context.s}.${plan.table} (${columns.join(', ')}) VALUES (${placeholders.join(', ')})`;
  } else {
    const base = values.length;
    values.push(plan.work.state, plan.work.reason, now);
    sql = `INSERT INTO ${context.s}.${plan.table} (${columns.join(', ')}, state, state_reason, available_at_ms, updated_at_ms)
      SELECT ${placeholders.join(', ')}, $${base + 1}, $${base + 2}, n.ms, n.ms FROM (SELECT ${nowSql(base + 3)} AS ms) n`;
  }
  const inserted = await executor.query(`${sql} ON CONFLICT (${plan.keyColumn}) DO NOTHING RETURNING 1 AS one`, values);
  if (inserted.length === 1) return { status: 'inserted' };
  const [stored] = await executor.query<{ content_hash: string }>(
    `SELECT content_hash FROM ${context.s}.${plan.table} WHERE ${plan.keyColumn} = $1`,
    [plan.key],
  );
  if (stored?.content_hash === hash) return { status: 'duplicate' };
  throw new TradepipeError('record_conflict', 'A record with this id exists with other content; the first write stands', {
    details: { type: write.type, id: write.record.id },
  });
}
