/**
 * Opening a results database: a SQLite file (a path) or a PostgreSQL database (`postgres://USER@HOST:PORT/DB`).
 * Writers (sweepers, agents) migrate; readers (dashboard, reports) never change the database. Every failure a
 * user can cause (a bad path or URL, a refused connection, a wrong password, a foreign or newer database) is a
 * one-line UserError, raised before anything is written.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '@l2x/errors';
import { migrations, SCHEMA_VERSION, viewStatements } from './schema.ts';
import { SQLITE } from './dialect.ts';
import { SqliteSql, type Sql } from './sql.ts';
import { isPostgresUrl } from './db-path.ts';
import { PgSql, type RetryOptions } from './pg-sql.ts';

export type Db = Sql;

/** How long a SQLite statement waits for another process's lock before failing (writers hold locks for ms). */
export const BUSY_TIMEOUT_MS = 5000;

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

// ---- SQLite ----

function explainSqlite(path: string, error: unknown): never {
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
    throw new UserError(`${path} is not a SQLite results database (${(error as Error).message}); give --db a results.db written by the sweeper`, { cause: error });
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY')
    throw new UserError(`cannot open ${path}: ${(error as Error).message}; check the path and its permissions`, { cause: error });
  throw error;
}

function newerSchema(where: string, version: number): UserError {
  return new UserError(
    `${where} has schema version ${version} but this build knows up to ${SCHEMA_VERSION}; update this tool (git pull && npm ci) to read it`,
  );
}

function sqliteVersion(db: Database.Database, path: string): number {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) throw newerSchema(path, version);
  return version;
}

/**
 * Applies the migrations the file lacks, then rebuilds the views, in one transaction that first takes the write
 * lock (BEGIN IMMEDIATE) and only then reads the version: two first runs at once migrate once. Foreign keys are off
 * around it (a migration that rebuilds a table must not cascade its DROP into the rows that refer to it) and
 * checked before it commits.
 */
export function migrateSqlite(db: Database.Database, path = 'database'): void {
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF'); // a no-op inside a transaction: so set before it
  try {
    db.transaction(() => {
      const version = sqliteVersion(db, path);
      const steps = migrations(SQLITE);
      for (let v = version; v < SCHEMA_VERSION; v++) db.exec(steps[v]!);
      for (const statement of viewStatements()) db.exec(statement);
      const broken = db.pragma('foreign_key_check') as unknown[];
      if (broken.length > 0) throw new Error(`bug: migration to schema ${SCHEMA_VERSION} broke ${broken.length} foreign keys`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
}

function openSqliteForWriting(path: string): Sql {
  if (path !== ':memory:') {
    if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`--db ${path} is a folder; give the path of a .db file`);
    mkdirSync(dirname(path), { recursive: true });
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    sqliteVersion(db, path); // a newer file is refused before anything (even WAL mode) is written
    db.pragma('journal_mode = WAL'); // readers never block the writer, and the writer never blocks readers
    db.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable across process crashes, fast commits
    db.pragma('foreign_keys = ON');
    migrateSqlite(db, path);
    return new SqliteSql(db);
  } catch (error) {
    db?.close();
    explainSqlite(path, error);
  }
}

function openSqliteForReading(path: string): Sql {
  if (!existsSync(path)) throw new UserError(`no results database at ${path}; run a sweep first (npx nx run sweeper:run --config sweeps/smoke.yaml) or pass --db PATH`);
  if (statSync(path).isDirectory()) throw new UserError(`--db ${path} is a folder; give the path of a .db file`);
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const version = sqliteVersion(db, path);
    if (version === 0) throw new UserError(`${path} is a SQLite database but not a results database (it has no sweeps table); pass the results.db the sweeper wrote`);
    if (version < SCHEMA_VERSION)
      throw new UserError(`${path} has schema version ${version}, older than this build's ${SCHEMA_VERSION}; run any sweep against it once to migrate it`);
    return new SqliteSql(db);
  } catch (error) {
    db?.close();
    explainSqlite(path, error);
  }
}

// ---- PostgreSQL ----

/** A lock number of this project's own, held while migrating so that concurrent first runs migrate once. */
const MIGRATION_LOCK = 0x4c32585f; // "L2X_"

function explainPg(url: string, error: unknown): never {
  if (error instanceof UserError) throw error;
  const shown = redact(url);
  const { code, message } = error as { code?: string; message?: string };
  const reason = (() => {
    if (code === 'ECONNREFUSED') return 'connection refused; is PostgreSQL running there?';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host';
    if (code === 'ETIMEDOUT') return 'connection timed out';
    if (code === '28P01') return 'wrong password';
    if (code === '28000') return `authentication refused (${message})`;
    if (code === '3D000') return `${message}; create it first (createdb NAME, or CREATE DATABASE)`;
    if (code === '42501') return `permission denied (${message})`;
    return undefined;
  })();
  if (reason) throw new UserError(`cannot use PostgreSQL database ${shown}: ${reason}`, { cause: error });
  throw error;
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new UserError(`--db ${redact(url)} is not a valid PostgreSQL URL; expected postgres://USER@HOST:PORT/DATABASE`, { cause: error });
  }
  if (parsed.pathname.replace(/^\//, '') === '')
    throw new UserError(`--db ${redact(url)} names no database; expected postgres://USER@HOST:PORT/DATABASE`);
}

async function pgVersion(sql: Sql, url: string): Promise<number> {
  const table = await sql.get<{ name: string | null }>(`SELECT to_regclass('l2x_schema')::text AS name`);
  if (!table?.name) return 0;
  const version = (await sql.get<{ version: number }>('SELECT version FROM l2x_schema'))?.version ?? 0;
  if (version > SCHEMA_VERSION) throw newerSchema(redact(url), version);
  return version;
}

/** Migrates a PostgreSQL database in one transaction under an advisory lock: several first runs migrate once. */
async function migratePg(sql: Sql, url: string): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.run(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    const version = await pgVersion(tx, url);
    if (version === SCHEMA_VERSION) return; // views are rebuilt with the migrations only: readers may be using them
    if (version === 0) await tx.exec('CREATE TABLE l2x_schema (version INTEGER NOT NULL); INSERT INTO l2x_schema VALUES (0);');
    const steps = migrations(tx.dialect);
    for (let v = version; v < SCHEMA_VERSION; v++) await tx.exec(steps[v]!);
    for (const statement of viewStatements(tx.dialect)) await tx.exec(statement);
    await tx.run('UPDATE l2x_schema SET version = ?', [SCHEMA_VERSION]);
  });
}

async function openPg(url: string, mode: 'write' | 'read', retry?: RetryOptions): Promise<PgSql> {
  checkUrl(url);
  // No retries while opening: a server that is not there is a one-line error, not a minute of waiting.
  const probe = new PgSql(url, { max: 1, retry: { retries: 0 } });
  try {
    if (mode === 'write') await migratePg(probe, url);
    else {
      const version = await pgVersion(probe, url);
      if (version === 0)
        throw new UserError(`PostgreSQL database ${redact(url)} holds no results yet; run a sweep against it first (sweeper:run --db URL)`);
      if (version < SCHEMA_VERSION)
        throw new UserError(`PostgreSQL database ${redact(url)} has schema version ${version}, older than this build's ${SCHEMA_VERSION}; run any sweep against it once to migrate it`);
    }
  } catch (error) {
    explainPg(url, error);
  } finally {
    await probe.close();
  }
  return new PgSql(url, { retry });
}

// ---- either ----

export interface OpenOptions {
  /** PostgreSQL: how lost connections are retried. */
  retry?: RetryOptions;
}

/** The writer's connection: creates (SQLite: the file and its folder) and migrates. `:memory:`: a private SQLite database. */
export async function openForWriting(location: string, options: OpenOptions = {}): Promise<Db> {
  return isPostgresUrl(location) ? openPg(location, 'write', options.retry) : openSqliteForWriting(location);
}

/** A reader's connection (dashboard, reports): never writes, never migrates. */
export async function openForReading(location: string, options: OpenOptions = {}): Promise<Db> {
  return isPostgresUrl(location) ? openPg(location, 'read', options.retry) : openSqliteForReading(location);
}
