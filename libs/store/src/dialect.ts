/**
 * The few places where SQLite's SQL and PostgreSQL's differ, as SQL fragments. Every query of the store is
 * written once against these; both dialects share `?` placeholders (numbered for PostgreSQL by its driver),
 * `INSERT … ON CONFLICT`, `RETURNING`, ISO-8601 UTC text times (so that both sort and show the same) and the
 * same column names and meanings.
 */
import { settingKind, type SettingName } from '@l2x/model/config';

export type DialectName = 'sqlite' | 'postgres';

export interface Dialect {
  name: DialectName;
  /** The database's clock now, as ISO-8601 UTC text with milliseconds (`2026-12-02T04:40:00.123Z`). */
  now: string;
  /** The database's clock `seconds` (an SQL expression) ago, in the same text form. */
  ago(seconds: string): string;
  /** An auto-numbered primary key column's type. */
  idColumn: string;
  /** A 64-bit float column's type. */
  real: string;
  /** What follows a table's closing parenthesis when it has a composite primary key and no need of a row id. */
  withoutRowid: string;
  /** A truth value as the integer 0 or 1. */
  int(condition: string): string;
  /** The larger of two values. */
  greatest(a: string, b: string): string;
  /** Milliseconds since the epoch of an ISO text time (NULL stays NULL). */
  epochMs(time: string): string;
  /** A setting as a column computed from the trial's settings JSON when the row is written. */
  settingColumn(name: SettingName): string;
  /** After a SELECT inside a claim: lock the rows read, passing over those another transaction holds. */
  skipLocked: string;
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

export const SQLITE: Dialect = {
  name: 'sqlite',
  now: `strftime('%Y-%m-%dT%H:%M:%fZ','now')`,
  ago: (seconds) => `strftime('%Y-%m-%dT%H:%M:%fZ','now', '-' || (${seconds}) || ' seconds')`,
  idColumn: 'INTEGER PRIMARY KEY',
  real: 'REAL',
  withoutRowid: ' WITHOUT ROWID',
  int: (condition) => `(${condition})`,
  greatest: (a, b) => `max(${a}, ${b})`,
  epochMs: (time) => `(unixepoch(${time}, 'subsec') * 1000.0)`,
  settingColumn: (name) => `"${name}" GENERATED ALWAYS AS (json_extract(settings, '$.${name}')) STORED`,
  skipLocked: '', // a claim runs under BEGIN IMMEDIATE: one writer at a time holds the whole database
};

export const POSTGRES: Dialect = {
  name: 'postgres',
  // clock_timestamp, not now(): a lease is judged by the clock when the statement runs, not when its transaction began.
  now: `to_char(clock_timestamp() AT TIME ZONE 'UTC', ${ISO})`,
  ago: (seconds) => `to_char((clock_timestamp() - make_interval(secs => (${seconds})::double precision)) AT TIME ZONE 'UTC', ${ISO})`,
  idColumn: 'SERIAL PRIMARY KEY',
  real: 'DOUBLE PRECISION',
  withoutRowid: '',
  int: (condition) => `(${condition})::int`,
  greatest: (a, b) => `greatest(${a}, ${b})`,
  epochMs: (time) => `(extract(epoch FROM (${time})::timestamptz)::double precision * 1000.0)`,
  settingColumn: (name) => {
    const type = settingKind(name) === 'text' ? 'TEXT' : 'DOUBLE PRECISION';
    return `"${name}" ${type} GENERATED ALWAYS AS ((settings::jsonb ->> '${name}')::${type === 'TEXT' ? 'text' : 'double precision'}) STORED`;
  },
  skipLocked: ' FOR UPDATE SKIP LOCKED',
};
