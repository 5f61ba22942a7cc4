import {
  LlmValidationSchema,
  SignalSchema,
  TradeRecommendationSchema,
  type LlmValidation,
  type RecommendationState,
  type Signal,
  type SignalAction,
  type SignalCountQuery,
  type TradeRecommendation,
  type WorkStatus,
} from '@tradepipe/core';
import { perContext, type StoreContext } from './context.js';
import { signalRecordFromRow } from './feature-values.js';
import { int8, parseStored } from './rows.js';
import { WORK_STATUS_COLUMNS, workStatusFromRow } from './work-tables.js';

const SIGNAL_SQL = perContext((context) => `SELECT record, feature_values FROM ${context.s}.trading_signals WHERE id = $1`);

/** One signal by id. @internal */
export async function getSignal(context: StoreContext, id: string): Promise<Signal | undefined> {
  const [row] = await context.driver.query(SIGNAL_SQL(context), [id]);
  return row === undefined ? undefined : parseStored(SignalSchema, signalRecordFromRow(row.record, row.feature_values), 'signal');
}

/** Signals counted by action, optionally for one product. @internal */
export async function countSignalsByAction(context: StoreContext, query: SignalCountQuery): Promise<Partial<Record<SignalAction, number>>> {
  const rows = await context.driver.query<{ action: string; count: unknown }>(
    `SELECT action, count(*) AS count FROM ${context.s}.trading_signals
      WHERE ($1::text IS NULL OR product_id = $1) AND ($2::bigint IS NULL OR candle_start_ms >= $2) AND ($3::bigint IS NULL OR candle_start_ms <= $3)
      GROUP BY action`,
    [query.productId ?? null, query.fromCandleStartMs ?? null, query.toCandleStartMs ?? null],
  );
  return Object.fromEntries(rows.map((row) => [row.action, int8(row.count, 'count')])) as Partial<Record<SignalAction, number>>;
}

/** One recommendation with its queue status. @internal */
export async function getRecommendation(
  context: StoreContext,
  id: string,
): Promise<{ record: TradeRecommendation; status: WorkStatus<RecommendationState> } | undefined> {
  const [row] = await context.driver.query(`SELECT record, ${WORK_STATUS_COLUMNS} FROM ${context.s}.trade_recommendations WHERE id = $1`, [id]);
  if (row === undefined) return undefined;
  return { record: parseStored(TradeRecommendationSchema, row.record, 'trade recommendation'), status: workStatusFromRow<RecommendationState>(row) };
}

/** Recommendations by state and product, oldest first. @internal */
export async function listRecommendations(
  context: StoreContext,
  query: { readonly state?: RecommendationState; readonly productId?: string; readonly limit?: number },
): Promise<TradeRecommendation[]> {
  const rows = await context.driver.query(
    `SELECT record FROM ${context.s}.trade_recommendations
     WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR product_id = $2)
     ORDER BY created_at_ms, id COLLATE "C"
     LIMIT $3`,
    [query.state ?? null, query.productId ?? null, query.limit === undefined ? null : Math.max(0, Math.floor(query.limit))],
  );
  return rows.map((row) => parseStored(TradeRecommendationSchema, row.record, 'trade recommendation'));
}

/** Validations of a recommendation, in the order they were recorded. @internal */
export async function listValidations(context: StoreContext, recommendationId: string): Promise<LlmValidation[]> {
  const rows = await context.driver.query(`SELECT record FROM ${context.s}.llm_validation WHERE recommendation_id = $1 ORDER BY seq`, [recommendationId]);
  return rows.map((row) => parseStored(LlmValidationSchema, row.record, 'validation'));
}
