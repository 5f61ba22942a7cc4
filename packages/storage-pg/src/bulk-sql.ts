import {
  CandleSchema,
  SignalSchema,
  TradeRecommendationSchema,
  TradepipeError,
  contentHash,
  parseWith,
  type PipelineStore,
  type Signal,
  type TradeRecommendation,
} from '@tradepipe/core';
import { dedupeBatch, insertCandleBatch } from './candles-sql.js';
import { nowParam, nowSql, type StoreContext } from './context.js';
import { int8 } from './rows.js';
import type { SqlExecutor } from './sql-driver.js';

/** The batch of {@link PipelineStore.writeBulk}. */
type BulkWrite = Parameters<PipelineStore['writeBulk']>[0];

/** Rows per statement: large enough that a statement's cost is the rows', small enough for modest parameters. */
const CHUNK_ROWS = 20_000;

/** A record kind written in bulk: its table, its key and typed columns (the record, hash and work columns follow). */
interface BulkTable<R> {
  readonly type: 'signal' | 'recommendation';
  readonly table: string;
  readonly columns: readonly (readonly [name: string, sqlType: string, value: (record: R) => unknown])[];
}

const SIGNALS: BulkTable<Signal> = {
  type: 'signal',
  table: 'trading_signals',
  columns: [
    ['id', 'text', (r) => r.id],
    ['pipeline_id', 'text', (r) => r.pipelineId],
    ['product_id', 'text', (r) => r.productId],
    ['granularity', 'text', (r) => r.granularity],
    ['candle_start_ms', 'bigint', (r) => r.candleStartMs],
    ['action', 'text', (r) => r.action],
    ['confidence', 'double precision', (r) => r.confidence],
    ['model_id', 'text', (r) => r.modelId],
    ['model_version', 'text', (r) => r.modelVersion],
  ],
};

const RECOMMENDATIONS: BulkTable<TradeRecommendation> = {
  type: 'recommendation',
  table: 'trade_recommendations',
  columns: [
    ['id', 'text', (r) => r.id],
    ['pipeline_id', 'text', (r) => r.pipelineId],
    ['product_id', 'text', (r) => r.productId],
    ['granularity', 'text', (r) => r.granularity],
    ['candle_start_ms', 'bigint', (r) => r.candleStartMs],
    ['side', 'text', (r) => r.side],
    ['intent', 'text', (r) => r.intent],
    ['quote_amount', 'numeric', (r) => r.quoteAmount],
    ['base_size', 'numeric', (r) => r.baseSize ?? null],
    ['created_at_ms', 'bigint', (r) => r.createdAtMs],
    ['expires_at_ms', 'bigint', (r) => r.expiresAtMs],
  ],
};

/** A parsed record ready for its table. */
interface BulkRow<R> {
  readonly record: R & { readonly id: string };
  readonly hash: string;
  readonly state: string;
  readonly reason: string | null;
}

function conflict(type: string, id: string): TradepipeError {
  return new TradepipeError('record_conflict', 'A record with this id exists with other content; the first write stands', { details: { type, id } });
}

/** Parses and hashes entries, dropping same-content repeats; a repeat with other content is a conflict. */
function prepareRows<R extends { readonly id: string }>(
  type: 'signal' | 'recommendation',
  entries: readonly { readonly record: R; readonly state: string; readonly reason?: string }[],
  parse: (record: R) => R,
): BulkRow<R>[] {
  const byId = new Map<string, BulkRow<R>>();
  for (const entry of entries) {
    const record = parse(entry.record);
    const row = { record, hash: contentHash(record), state: entry.state, reason: entry.reason ?? null };
    const first = byId.get(record.id);
    if (first === undefined) byId.set(record.id, row);
    else if (first.hash !== row.hash) throw conflict(type, record.id);
  }
  return [...byId.values()];
}

function chunks<T>(items: readonly T[]): T[][] {
  const list: T[][] = [];
  for (let start = 0; start < items.length; start += CHUNK_ROWS) list.push(items.slice(start, start + CHUNK_ROWS));
  return list;
}

// Inserts one chunk (first write wins); if some ids existed, any with another content hash is a conflict.
async function insertRecords<R>(context: StoreContext, executor: SqlExecutor, spec: BulkTable<R>, rows: readonly BulkRow<R>[]): Promise<void> {
  const arrays = [
    ...spec.columns.map(([, , value]) => rows.map((row) => value(row.record))),
    rows.map((row) => JSON.stringify(row.record)),
    rows.map((row) => row.hash),
    rows.map((row) => row.state),
    rows.map((row) => row.reason),
  ];
  const types = [...spec.columns.map(([, sqlType]) => sqlType), 'jsonb', 'text', 'text', 'text'];
  const names = [...spec.columns.map(([name]) => name), 'record', 'content_hash', 'state', 'state_reason'];
  const unnest = types.map((sqlType, index) => `$${index + 1}::${sqlType}[]`).join(', ');
  const [counted] = await executor.query<{ inserted: string }>(
    `WITH inserted AS (
       INSERT INTO ${context.s}.${spec.table} (${names.join(', ')}, available_at_ms, updated_at_ms)
       SELECT input.*, now_ms.ms, now_ms.ms FROM unnest(${unnest}) AS input(${names.join(', ')}), (SELECT ${nowSql(types.length + 1)} AS ms) now_ms
       ON CONFLICT (id) DO NOTHING
       RETURNING 1)
     SELECT count(*) AS inserted FROM inserted`,
    [...arrays, nowParam(context)],
  );
  if (int8(counted?.inserted ?? '0', 'inserted') === rows.length) return;
  const [other] = await executor.query<{ id: string }>(
    `SELECT t.id FROM unnest($1::text[], $2::text[]) AS input(id, content_hash) JOIN ${context.s}.${spec.table} t ON t.id = input.id
     WHERE t.content_hash <> input.content_hash LIMIT 1`,
    [rows.map((row) => row.record.id), rows.map((row) => row.hash)],
  );
  if (other !== undefined) throw conflict(spec.type, other.id);
}

/**
 * Writes candles, signals and settled recommendations in one transaction, in chunks of unnest arrays (COPY for
 * large candle chunks on a server). Everything is validated and deduplicated before any SQL runs; a record (or
 * candle) stored with other content, or repeated in the batch with other content, refuses the whole batch.
 * @throws TradepipeError `validation_failed`, `record_conflict` (nothing is written)
 * @internal
 */
export async function writeBulk(context: StoreContext, batch: BulkWrite): Promise<void> {
  const candles = dedupeBatch((batch.candles ?? []).map((candle) => parseWith(CandleSchema, candle, 'candle')));
  const [firstConflict] = candles.conflicts;
  if (firstConflict !== undefined) throw conflict('candle', `${firstConflict.productId}/${firstConflict.granularity}/${firstConflict.startMs}`);
  const signals = prepareRows('signal', batch.signals ?? [], (record) => parseWith(SignalSchema, record, 'signal'));
  const recommendations = prepareRows('recommendation', batch.recommendations ?? [], (record) =>
    parseWith(TradeRecommendationSchema, record, 'trade recommendation'),
  );
  if (candles.unique.length + signals.length + recommendations.length === 0) return;
  await context.driver.transaction(async (executor) => {
    for (const chunk of chunks(candles.unique)) {
      const outcome = await insertCandleBatch(context, executor, chunk, batch.candleState ?? 'DONE');
      const [stored] = outcome.conflicts;
      if (stored !== undefined) throw conflict('candle', `${stored.productId}/${stored.granularity}/${stored.startMs}`);
    }
    for (const chunk of chunks(signals)) await insertRecords(context, executor, SIGNALS, chunk);
    for (const chunk of chunks(recommendations)) await insertRecords(context, executor, RECOMMENDATIONS, chunk);
  });
}
