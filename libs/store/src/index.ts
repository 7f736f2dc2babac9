export { ResultsStore, type Claim, type Lease, type Holder } from './results-store.ts';
export { ResultsReader, TRIAL_SUMMARY_COLUMNS } from './results-reader.ts';
export { openForReading, openForWriting, migrateSqlite, redact, BUSY_TIMEOUT_MS, type Db, type OpenOptions } from './database.ts';
export { isConnectionError, type RetryOptions } from './pg-sql.ts';
export type { Sql } from './sql.ts';
export { SCHEMA_VERSION } from './schema.ts';
export * from './records.ts';
export { WORKSPACE_ROOT, DEFAULT_DB, DB_ENV, resolveDbPath, isPostgresUrl } from './db-path.ts';
export * from './aggregation.ts';
