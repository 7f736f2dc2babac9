export { ResultsStore, type Claim } from './results-store.ts';
export { ResultsReader, TRIAL_SUMMARY_COLUMNS } from './results-reader.ts';
export { openForReading, openForWriting, migrate, BUSY_TIMEOUT_MS, type Db } from './database.ts';
export { SCHEMA_VERSION } from './schema.ts';
export * from './records.ts';
export { WORKSPACE_ROOT, DEFAULT_DB, resolveDbPath } from './db-path.ts';
export * from './aggregation.ts';
