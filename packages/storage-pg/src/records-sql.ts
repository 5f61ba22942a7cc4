import {
  TradepipeError,
  canonicalJson,
  contentHashOfCanonicalJson,
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

// The column lists and a new signal's queue columns, one each (a plan is built for every record written).
const SIGNAL_COLUMNS = ['id', 'pipeline_id', 'product_id', 'granularity', 'candle_start_ms', 'action', 'confidence', 'model_id', 'model_version'] as const;
const RECOMMENDATION_COLUMNS = ['id', 'pipeline_id', 'product_id', 'granularity', 'candle_start_ms', 'side', 'intent', 'quote_amount', 'base_size', 'created_at_ms', 'expires_at_ms'] as const;
const VALIDATION_COLUMNS = ['id', 'recommendation_id', 'validator', 'decision', 'validated_at_ms'] as const;
const ASSESSMENT_COLUMNS = ['recommendation_id', 'id', 'product_id', 'decision', 'assessed_at_ms'] as const;
const PENDING_SIGNAL = { state: 'PENDING', reason: null } as const;
const SIGNAL_ARRIVAL = { table: 'trading_signals', state: 'PENDING' } as const;

function planFor(write: RecordWrite): InsertPlan {
  switch (write.type) {
    case 'signal': {
      const r = write.record;
      return {
        table: 'trading_signals',
        keyColumn: 'id',
        key: r.id,
        columns: SIGNAL_COLUMNS,
        values: [r.id, r.pipelineId, r.productId, r.granularity, r.candleStartMs, r.action, r.confidence, r.modelId, r.modelVersion],
        work: PENDING_SIGNAL,
      };
    }
    case 'recommendation': {
      const r = write.record;
      return {
        table: 'trade_recommendations',
        keyColumn: 'id',
        key: r.id,
        columns: RECOMMENDATION_COLUMNS,
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
        columns: VALIDATION_COLUMNS,
        values: [r.id, r.recommendationId, r.validator, r.decision, r.validatedAtMs],
      };
    }
    case 'assessment': {
      const r = write.record;
      return {
        table: 'risk_assessments',
        keyColumn: 'recommendation_id',
        key: r.recommendationId,
        columns: ASSESSMENT_COLUMNS,
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
  /** Names the part's SQL among every part's (the same text, the same key): for callers that cache their statement's text. */
  readonly sqlKey: string;
  readonly hash: string;
  readonly write: RecordWrite;
}

/** The queue table and state a write puts work into, if it writes to a queue. @internal */
export function workArrivalOf(write: RecordWrite): { readonly table: string; readonly state: string } | undefined {
  // As planFor's table and work state, without building the plan (its values and columns).
  switch (write.type) {
    case 'signal':
      return SIGNAL_ARRIVAL;
    case 'recommendation':
      return { table: 'trade_recommendations', state: write.state };
    default:
      return undefined;
  }
}

/** The SQL of a {@link RecordInsertPart}. */
type PartSql = Pick<RecordInsertPart, 'cte' | 'insertedSql' | 'storedSql' | 'unsettledSql' | 'sqlKey'>;

/**
 * Part texts by schema, then by shape (table, guard, then CTE index, first placeholder, value count and queue
 * columns or not, as one number): the live path writes the same few shapes over and over, and each text built
 * anew (and flattened to look its prepared statement up) was about a tenth of the bytes a trading candle
 * allocated on PGlite. Looked up by strings the caller already holds and a number: no key string per write.
 */
const PART_SQL = new Map<string, { shapes: number; readonly byTable: Map<string, Map<string, Map<number, PartSql>>> }>();

/** Past this many shapes per schema, texts are built each time rather than kept. */
const MAX_PART_SHAPES = 1_000;

/** A part's shape within its table and guard, as one number (placeholders stay below 2^16, as PostgreSQL's do). */
function shapeNumber(index: number, first: number, valueCount: number, work: boolean): number {
  return ((index * 65_536 + first) * 256 + valueCount) * 2 + (work ? 1 : 0);
}

/**
 * Builds the CTE that inserts one parsed record (first write wins), appending its parameters to `params`.
 * The statement must define `now_ms`; `guard` (e.g. `WHERE EXISTS (SELECT 1 FROM settled)`) conditions the insert.
 * @internal
 */
export function recordInsertPart(
  context: StoreContext,
  write: RecordWrite,
  options: {
    readonly index: number;
    readonly params: unknown[];
    readonly guard?: string;
    /**
     * A work item's row inserted leased to `workerId` for `leaseMs` with a fresh fencing token (as a claim leases),
     * the CTE returning its `fencing_token`, `lease_expires_at_ms` and `attempt`; ignored for a record of no queue.
     */
    readonly lease?: { readonly workerId: string; readonly leaseMs: number };
  },
): RecordInsertPart {
  const { params, index } = options;
  const plan = planFor(write);
  const lease = plan.work === undefined ? undefined : options.lease;
  // The record's canonical JSON is hashed and written: `jsonb` keeps no key order, so the stored record is the
  // one its plain JSON gave, and the record is serialised once, not twice.
  const json = canonicalJson(write.record);
  const hash = contentHashOfCanonicalJson(json);
  const first = params.length + 1;
  // The parameters in their placeholders' order (see partSql): the plan's values, record, hash, [state, reason], key.
  for (const value of plan.values) params.push(value);
  params.push(json, hash);
  if (plan.work !== undefined) params.push(plan.work.state, plan.work.reason);
  if (lease !== undefined) params.push(lease.workerId, Math.max(0, Math.round(lease.leaseMs)));
  params.push(plan.key);
  // The leased shape is cached apart from the plain one (the same guard, other text).
  const guard = options.guard ?? '';
  const cacheGuard = lease === undefined ? guard : `${guard}\0leased`;
  let schema = PART_SQL.get(context.s);
  if (schema === undefined) {
    schema = { shapes: 0, byTable: new Map() };
    PART_SQL.set(context.s, schema);
  }
  let byGuard = schema.byTable.get(plan.table);
  if (byGuard === undefined) {
    byGuard = new Map();
    schema.byTable.set(plan.table, byGuard);
  }
  let texts = byGuard.get(cacheGuard);
  if (texts === undefined) {
    texts = new Map();
    byGuard.set(cacheGuard, texts);
  }
  const shapeKey = index < 2 ** 20 && first < 65_536 && plan.values.length < 256 ? shapeNumber(index, first, plan.values.length, plan.work !== undefined) : undefined;
  let sql = shapeKey === undefined ? undefined : texts.get(shapeKey);
  if (sql === undefined) {
    const shape = `${plan.table}/${plan.values.length}/${plan.work === undefined ? '' : lease === undefined ? 'work' : 'leased'}/${index}/${first}/${guard}`;
    sql = partSql(context, plan, index, first, guard, `${context.s}/${shape}`, lease !== undefined);
    if (shapeKey !== undefined && schema.shapes < MAX_PART_SHAPES) {
      texts.set(shapeKey, sql);
      schema.shapes += 1;
    }
  }
  return { ...sql, hash, write };
}

/** The SQL of a record's insert part whose placeholders start at `$first` (see {@link recordInsertPart}). */
function partSql(context: StoreContext, plan: InsertPlan, index: number, first: number, guard: string, sqlKey: string, leased: boolean): PartSql {
  let next = first;
  const placeholder = (cast = ''): string => `$${next++}${cast}`;
  const values = [...plan.values.map(() => placeholder()), placeholder('::jsonb'), placeholder()];
  const hashSql = `$${next - 1}`;
  const columns = [...plan.columns, 'record', 'content_hash'];
  if (plan.work !== undefined) {
    columns.push('state', 'state_reason', 'available_at_ms', 'updated_at_ms');
    values.push(placeholder(), placeholder(), 'now_ms.ms', 'now_ms.ms');
  }
  if (leased) {
    columns.push('lease_owner', 'lease_expires_at_ms', 'fencing_token');
    values.push(placeholder(), `now_ms.ms + ${placeholder('::bigint')}`, `nextval('${context.s}.fencing_token_seq')`);
  }
  const name = `w${index}`;
  const table = `${context.s}.${plan.table}`;
  const storedSql = `(SELECT content_hash FROM ${table} WHERE ${plan.keyColumn} = ${placeholder()})`;
  const insertedSql = `(SELECT count(*) FROM ${name})`;
  return {
    cte: `${name} AS (INSERT INTO ${table} (${columns.join(', ')}) SELECT ${values.join(', ')} FROM now_ms ${guard}
      ON CONFLICT (${plan.keyColumn}) DO NOTHING RETURNING ${leased ? 'fencing_token, lease_expires_at_ms, attempt' : '1'})`,
    insertedSql,
    storedSql,
    unsettledSql: `(${insertedSql} = 0 AND ${storedSql} IS DISTINCT FROM ${hashSql}::text)`,
    sqlKey,
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
