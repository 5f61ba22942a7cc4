/**
 * @packageDocumentation
 * The durable `PipelineStore` (of `@tradepipe/core`) of tradepipe on PostgreSQL (`pg`) and on embedded PGlite:
 * versioned migrations, first-write-wins records, the records-as-queues hand-off between stages (leases,
 * fencing tokens, `SKIP LOCKED`, LISTEN/NOTIFY, retries and dead letters), exposure reservation and
 * single-use approvals in one transaction, and bulk candle ingest.
 */
export { createPgStore, type PgStoreOptions } from './pg-store.js';
export { createPgliteStore, type PgliteStoreOptions } from './pglite-store.js';
export { PgStoreOptionsSchema, pgConnectionFromConfig, pgConnectionFromEnv, type PgConnectionConfig, type PgStoreSettings } from './options.js';
export { migrate, DEFAULT_MIGRATION_LOCK_TIMEOUT_MS, DEFAULT_SCHEMA, SCHEMA_NAME_PATTERN, type MigrateOptions, type MigrationResult } from './migrate.js';
