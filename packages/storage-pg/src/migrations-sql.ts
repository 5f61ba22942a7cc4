/**
 * The versioned schema. Each migration is SQL with `__SCHEMA__` standing for the quoted schema name; a
 * migration never changes once released (add a new one instead).
 * @internal
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

// Queue bookkeeping shared by the three tables that are also work queues (candles, signals, recommendations).
// `order_key` orders items within a partition (product, granularity); `fencing_token` is the current lease's.
const WORK_COLUMNS = `
  state text NOT NULL,
  state_reason text,
  attempt integer NOT NULL DEFAULT 0,
  last_error_code text,
  last_error_message text,
  available_at_ms bigint NOT NULL,
  updated_at_ms bigint NOT NULL,
  lease_owner text,
  lease_expires_at_ms bigint,
  fencing_token bigint`;

// Indexes of a queue table: ordered claims walk (state, partition, order); unordered claims scan
// (state, order) — candles are always claimed in order, so they skip that second index and ingest faster.
function workIndexes(table: string, orderColumn: string, unorderedClaims: boolean): string {
  return `
CREATE INDEX ${table}_partition_idx ON __SCHEMA__.${table} (state, product_id, granularity, ${orderColumn});
${unorderedClaims ? `CREATE INDEX ${table}_claim_idx ON __SCHEMA__.${table} (state, ${orderColumn});` : ''}
CREATE INDEX ${table}_leased_idx ON __SCHEMA__.${table} (product_id, granularity, lease_expires_at_ms) WHERE lease_owner IS NOT NULL;
CREATE TRIGGER ${table}_notify AFTER INSERT OR UPDATE OF state, available_at_ms ON __SCHEMA__.${table}
  FOR EACH STATEMENT EXECUTE FUNCTION __SCHEMA__.notify_work('${table}');`;
}

const INITIAL = `
CREATE SEQUENCE __SCHEMA__.fencing_token_seq;

-- Wakes workers waiting in waitForWork (LISTEN "<schema>_work"); the payload is the table name.
CREATE FUNCTION __SCHEMA__.notify_work() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify(TG_TABLE_SCHEMA || '_work', TG_ARGV[0]);
  RETURN NULL;
END
$fn$;

CREATE TABLE __SCHEMA__.products (
  product_id text PRIMARY KEY,
  base_currency text NOT NULL,
  quote_currency text NOT NULL,
  base_increment numeric NOT NULL,
  quote_increment numeric NOT NULL,
  price_increment numeric NOT NULL,
  base_min_size numeric NOT NULL,
  base_max_size numeric,
  quote_min_size numeric NOT NULL,
  quote_max_size numeric,
  status text NOT NULL,
  price numeric,
  seq bigint GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE __SCHEMA__.crypto_prices (
  product_id text NOT NULL,
  granularity text NOT NULL,
  start_ms bigint NOT NULL,
  open numeric NOT NULL,
  high numeric NOT NULL,
  low numeric NOT NULL,
  close numeric NOT NULL,
  volume numeric NOT NULL,
  gap_filled boolean NOT NULL DEFAULT false,
  ${WORK_COLUMNS},
  PRIMARY KEY (product_id, granularity, start_ms)
);
${workIndexes('crypto_prices', 'start_ms', false)}

CREATE TABLE __SCHEMA__.trading_signals (
  id text PRIMARY KEY,
  pipeline_id text NOT NULL,
  product_id text NOT NULL,
  granularity text NOT NULL,
  candle_start_ms bigint NOT NULL,
  action text NOT NULL,
  confidence double precision NOT NULL,
  model_id text NOT NULL,
  model_version text NOT NULL,
  record jsonb NOT NULL,
  content_hash text NOT NULL,
  ${WORK_COLUMNS}
);
${workIndexes('trading_signals', 'candle_start_ms', true)}

CREATE TABLE __SCHEMA__.trade_recommendations (
  id text PRIMARY KEY,
  pipeline_id text NOT NULL,
  product_id text NOT NULL,
  granularity text NOT NULL,
  candle_start_ms bigint NOT NULL,
  side text NOT NULL,
  intent text NOT NULL,
  quote_amount numeric NOT NULL,
  base_size numeric,
  created_at_ms bigint NOT NULL,
  expires_at_ms bigint NOT NULL,
  record jsonb NOT NULL,
  content_hash text NOT NULL,
  ${WORK_COLUMNS}
);
${workIndexes('trade_recommendations', 'created_at_ms', true)}

CREATE TABLE __SCHEMA__.llm_validation (
  id text PRIMARY KEY,
  recommendation_id text NOT NULL,
  validator text NOT NULL,
  decision text NOT NULL,
  validated_at_ms bigint NOT NULL,
  record jsonb NOT NULL,
  content_hash text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX llm_validation_recommendation_idx ON __SCHEMA__.llm_validation (recommendation_id, seq);

-- One decision per recommendation: the first stands.
CREATE TABLE __SCHEMA__.risk_assessments (
  recommendation_id text PRIMARY KEY,
  id text NOT NULL,
  product_id text NOT NULL,
  decision text NOT NULL,
  assessed_at_ms bigint NOT NULL,
  record jsonb NOT NULL,
  content_hash text NOT NULL
);

CREATE TABLE __SCHEMA__.risk_approvals (
  id text PRIMARY KEY,
  recommendation_id text NOT NULL UNIQUE,
  client_order_id text NOT NULL,
  product_id text NOT NULL,
  side text NOT NULL,
  max_quote_amount numeric,
  max_base_size numeric,
  issued_at_ms bigint NOT NULL,
  expires_at_ms bigint NOT NULL,
  record jsonb NOT NULL,
  consumed_at_ms bigint,
  consumed_by_order_id text
);

CREATE TABLE __SCHEMA__.exposure_reservations (
  approval_id text PRIMARY KEY REFERENCES __SCHEMA__.risk_approvals (id),
  product_id text NOT NULL,
  side text NOT NULL,
  quote_amount numeric NOT NULL,
  base_size numeric NOT NULL,
  reserved_at_ms bigint NOT NULL,
  expires_at_ms bigint NOT NULL,
  order_id text,
  released_at_ms bigint,
  seq bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX exposure_reservations_open_idx ON __SCHEMA__.exposure_reservations (product_id) WHERE released_at_ms IS NULL;

CREATE TABLE __SCHEMA__.orders (
  id text PRIMARY KEY,
  recommendation_id text NOT NULL,
  approval_id text NOT NULL,
  client_order_id text NOT NULL UNIQUE,
  venue text NOT NULL,
  product_id text NOT NULL,
  side text NOT NULL,
  order_type text NOT NULL,
  quote_size numeric,
  base_size numeric,
  limit_price numeric,
  status text NOT NULL,
  exchange_order_id text,
  filled_base_size numeric NOT NULL,
  filled_quote_value numeric NOT NULL,
  average_fill_price numeric,
  total_fees numeric NOT NULL,
  status_reason text,
  created_at_ms bigint NOT NULL,
  updated_at_ms bigint NOT NULL,
  submitted_at_ms bigint,
  completed_at_ms bigint
);
CREATE INDEX orders_created_idx ON __SCHEMA__.orders (created_at_ms);
CREATE INDEX orders_status_idx ON __SCHEMA__.orders (status, product_id);

-- Executions: one row per fill, keyed by the venue's trade id.
CREATE TABLE __SCHEMA__.fills (
  id text PRIMARY KEY,
  order_id text NOT NULL,
  client_order_id text NOT NULL,
  venue text NOT NULL,
  product_id text NOT NULL,
  side text NOT NULL,
  price numeric NOT NULL,
  size_base numeric NOT NULL,
  commission numeric NOT NULL,
  liquidity text NOT NULL,
  filled_at_ms bigint NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX fills_order_idx ON __SCHEMA__.fills (order_id, filled_at_ms);

CREATE TABLE __SCHEMA__.positions (
  product_id text PRIMARY KEY,
  size_base numeric NOT NULL,
  average_entry_price numeric NOT NULL,
  cost_basis_quote numeric NOT NULL,
  realized_pnl_quote numeric NOT NULL,
  opened_at_ms bigint,
  updated_at_ms bigint NOT NULL
);

CREATE TABLE __SCHEMA__.balances (
  currency text PRIMARY KEY,
  available numeric NOT NULL,
  hold numeric NOT NULL,
  updated_at_ms bigint NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY
);

-- Shared risk state: one row, locked by every risk decision so reservations are checked one at a time.
CREATE TABLE __SCHEMA__.risk_state (
  id smallint PRIMARY KEY CHECK (id = 1),
  kill_switch_engaged boolean NOT NULL,
  kill_switch_mode text NOT NULL,
  kill_switch_reason text,
  kill_switch_changed_at_ms bigint,
  cooldown_until_ms bigint,
  updated_at_ms bigint NOT NULL
);
INSERT INTO __SCHEMA__.risk_state (id, kill_switch_engaged, kill_switch_mode, updated_at_ms) VALUES (1, false, 'freeze', 0);

CREATE TABLE __SCHEMA__.equity_snapshots (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_ms bigint NOT NULL,
  equity_quote numeric NOT NULL
);
CREATE INDEX equity_snapshots_at_idx ON __SCHEMA__.equity_snapshots (at_ms);

CREATE TABLE __SCHEMA__.checkpoints (
  key text PRIMARY KEY,
  value json NOT NULL,
  at_ms bigint NOT NULL
);

CREATE TABLE __SCHEMA__.health_events (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  service text NOT NULL,
  status text NOT NULL,
  reported_at_ms bigint NOT NULL,
  report jsonb NOT NULL
);
CREATE INDEX health_events_service_idx ON __SCHEMA__.health_events (service, seq DESC);
`;

// One-statement writes (a completion with its records, a bulk write) check their records inside the statement
// and, when one must not stand, call refuse(): the error (SQLSTATE TP001) undoes the whole statement.
const REFUSE = `
CREATE FUNCTION __SCHEMA__.refuse(reason text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'TP001', MESSAGE = reason;
END
$fn$;
`;

// Dead letters remember the state they were dead-lettered from, so an operator's re-queue sends them back to
// the stage that failed them (requeueDeadLetter). Additive: existing dead letters keep NULL (origin unknown).
const DEAD_LETTER_ORIGIN = ['crypto_prices', 'trading_signals', 'trade_recommendations']
  .map((table) => `ALTER TABLE __SCHEMA__.${table} ADD COLUMN dead_lettered_from text;`)
  .join('\n');

// A signal's feature values as raw float64s (little-endian, 8 bytes each), its record then holding the rest: the
// bulk writes of a replay store them so (PostgreSQL reads bytes for the ~50 doubles instead of parsing ~1 kB of
// JSON digits: about half a signal row's cost on PGlite). Additive: NULL (every row stored before, and the
// one-record writes) means the record holds its values itself.
const SIGNAL_FEATURE_VALUES = `ALTER TABLE __SCHEMA__.trading_signals ADD COLUMN feature_values bytea;`;

// The active reservations (released_at_ms IS NULL) by seq, the order the exposure check reads them in. The partial
// index by product it replaces was only ever read by bitmap scans, which never mark an index entry dead: PGlite runs
// no autovacuum, so every reservation ever released stayed in it, and each risk decision and each order's release
// visited all of them and their heap pages (at 2,500 trading candles 2,505 entries, 53 heap blocks, twice a
// candle). An index scan of this one marks the entries of released reservations dead as it passes them, and new
// entries always go to its rightmost page, whose dead entries are deleted when it fills instead of splitting it.
const ACTIVE_RESERVATIONS = `
CREATE INDEX exposure_reservations_active_idx ON __SCHEMA__.exposure_reservations (seq) WHERE released_at_ms IS NULL;
DROP INDEX __SCHEMA__.exposure_reservations_open_idx;
`;

/** Every migration, oldest first. @internal */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sql: INITIAL },
  { version: 2, name: 'refuse', sql: REFUSE },
  { version: 3, name: 'dead_letter_origin', sql: DEAD_LETTER_ORIGIN },
  { version: 4, name: 'signal_feature_values', sql: SIGNAL_FEATURE_VALUES },
  { version: 5, name: 'active_reservations', sql: ACTIVE_RESERVATIONS },
];
