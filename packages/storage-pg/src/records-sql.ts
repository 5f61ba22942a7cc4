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

/** Parts of a statement that writes one record first-write-wins; see {@link recordInsertPart}. @internal */
export interface RecordInsertPart {
  /** `wN AS (INSERT … ON CONFLICT DO NOTHING RETURNING 1)`. */
  readonly cte: string;
  /** SQL: 1 if this statement inserted the record, else 0. */
  readonly insertedSql: string;
  /** SQL: the stored record's content hash as of the statement's snapshot (NULL if none was visible). */
  readonly storedSql: string;
  /** SQL: true when the record was neither inserted nor found equal (a conflict, or a concurrent writer). */
  readonly unsettledSql: string;
  readonly hash: string;
  readonly write: RecordWrite;
}

/** The queue table and state a write puts work into, if it writes to a queue. @internal */
export function workArrivalOf(write: RecordWrite): { readonly table: string; readonly state: string } | undefined {
  const plan = planFor(write);
  return plan.work === undefined ? undefined : { table: plan.table, state: plan.work.state };
}

/**
 * Builds the CTE that inserts one parsed record (first write wins), appending its parameters to `params`.
 * The statement must define `now_ms`; `guard` (e.g. `WHERE EXISTS (SELECT 1 FROM settled)`) conditions the insert.
 * @internal
 */
export function recordInsertPart(context: StoreContext, write: RecordWrite, options: { readonly index: number; readonly params: unknown[]; readonly guard?: string }): RecordInsertPart {
  const { params, index } = options;
  const plan = planFor(write);
  const hash = contentHash(write.record);
  const placeholder = (value: unknown, cast = ''): string => {
    params.push(value);
    return `$${params.length}${cast}`;
  };
  const hashParam = (): string => `$${params.length}`;
  const values = [...plan.values.map((value) => placeholder(value)), placeholder(JSON.stringify(write.record), '::jsonb'), placeholder(hash)];
  const hashSql = hashParam();
  const columns = [...plan.columns, 'record', 'content_hash'];
  if (plan.work !== undefined) {
    columns.push('state', 'state_reason', 'available_at_ms', 'updated_at_ms');
    values.push(placeholder(plan.work.state), placeholder(plan.work.reason), 'now_ms.ms', 'now_ms.ms');
  }
  const name = `w${index}`;
  const table = `${context.s}.${plan.table}`;
  const storedSql = `(SELECT content_hash FROM ${table} WHERE ${plan.keyColumn} = ${placeholder(plan.key)})`;
  const insertedSql = `(SELECT count(*) FROM ${name})`;
  return {
    cte: `${name} AS (INSERT INTO ${table} (${columns.join(', ')}) SELECT ${values.join(', ')} FROM now_ms ${options.guard ?? ''}
      ON CONFLICT (${plan.keyColumn}) DO NOTHING RETURNING 1)`,
    insertedSql,
    storedSql,
    unsettledSql: `(${insertedSql} = 0 AND ${storedSql} IS DISTINCT FROM ${hashSql}::text)`,
    hash,
    write,
  };
}

/** The refusal for a record stored with other content. @internal */
export function recordConflict(write: RecordWrite): TradepipeError {
  return new TradepipeError('record_conflict', 'A record with this id exists with other content; the first write stands', {
    details: { type: write.type, id: write.record.id },
  });
}

/**
 * Writes one parsed record first-write-wins in one statement: inserted, a `duplicate` of the same content, or
 * refused. Only when a concurrent writer's record was invisible to the statement is it read once more.
 * @throws TradepipeError `record_conflict` when the stored record has other content (nothing is changed)
 * @internal
 */
export async function applyRecordWrite(context: StoreContext, executor: SqlExecutor, write: RecordWrite, now: number | null): Promise<InsertResult> {
  const params: unknown[] = [now];
  const part = recordInsertPart(context, write, { index: 0, params });
  const [row] = await executor.query<{ inserted: string; stored: string | null }>(
    `WITH now_ms AS (SELECT ${nowSql(1)} AS ms), ${part.cte} SELECT ${part.insertedSql} AS inserted, ${part.storedSql} AS stored`,
    params,
  );
  if (Number(row?.inserted) === 1) return { status: 'inserted' };
  const stored = row?.stored ?? (await storedHash(context, executor, write));
  if (stored === part.hash) return { status: 'duplicate' };
  throw recordConflict(write);
}

/** The stored content hash of a record, read with a fresh snapshot. @internal */
export async function storedHash(context: StoreContext, executor: SqlExecutor, write: RecordWrite): Promise<string | undefined> {
  const plan = planFor(write);
  const [stored] = await executor.query<{ content_hash: string }>(`SELECT content_hash FROM ${context.s}.${plan.table} WHERE ${plan.keyColumn} = $1`, [plan.key]);
  return stored?.content_hash;
}
