/**
 * Opening results.db: the writer (the sweeper) migrates and sets WAL; readers (dashboard, reports) open
 * read-only and never change the file. Every failure a user can cause is a one-line UserError.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '@l2x/errors';
import { MIGRATIONS, SCHEMA_VERSION, viewStatements } from './schema.ts';

export type Db = Database.Database;

/** How long a statement waits for another process's lock before failing (the sweeper holds locks for ms). */
export const BUSY_TIMEOUT_MS = 5000;

function explain(path: string, error: unknown): never {
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
    throw new UserError(`${path} is not a SQLite results database (${(error as Error).message}); give --db a results.db written by the sweeper`, { cause: error });
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY')
    throw new UserError(`cannot open ${path}: ${(error as Error).message}; check the path and its permissions`, { cause: error });
  throw error;
}

function checkVersion(db: Db, path: string): number {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION)
    throw new UserError(
      `${path} has schema version ${version} but this build knows up to ${SCHEMA_VERSION}; update this tool (git pull && npm ci) to read it`,
    );
  return version;
}

/**
 * Applies the migrations this file lacks, then rebuilds the views. Runs in one transaction, with foreign keys off
 * (a migration that rebuilds a table must not cascade its DROP into the rows that refer to it) and checked before
 * it commits.
 */
export function migrate(db: Db, path = 'database'): void {
  const version = checkVersion(db, path);
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF'); // a no-op inside a transaction: so set before it
  try {
    db.transaction(() => {
      for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
      for (const statement of viewStatements()) db.exec(statement);
      const broken = db.pragma('foreign_key_check') as unknown[];
      if (broken.length > 0) throw new Error(`bug: migration to schema ${SCHEMA_VERSION} broke ${broken.length} foreign keys`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
}

/**
 * The writer's connection. `:memory:` gives a private in-memory database (tests).
 * Creates the parent folder and the file when missing.
 */
export function openForWriting(path: string): Db {
  if (path !== ':memory:') {
    if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`--db ${path} is a folder; give the path of a .db file`);
    mkdirSync(dirname(path), { recursive: true });
  }
  let db: Db | undefined;
  try {
    db = new Database(path);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL'); // readers never block the writer, and the writer never blocks readers
    db.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable across process crashes, fast commits
    db.pragma('foreign_keys = ON');
    migrate(db, path);
    return db;
  } catch (error) {
    db?.close();
    explain(path, error);
  }
}

/** A read-only connection for the dashboard and reports: never writes, never migrates. */
export function openForReading(path: string): Db {
  if (!existsSync(path)) throw new UserError(`no results database at ${path}; run a sweep first (npx nx run sweeper:run --config sweeps/smoke.yaml) or pass --db PATH`);
  if (statSync(path).isDirectory()) throw new UserError(`--db ${path} is a folder; give the path of a .db file`);
  let db: Db | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const version = checkVersion(db, path);
    if (version === 0) throw new UserError(`${path} is a SQLite database but not a results database (it has no sweeps table); pass the results.db the sweeper wrote`);
    if (version < SCHEMA_VERSION)
      throw new UserError(`${path} has schema version ${version}, older than this build's ${SCHEMA_VERSION}; run any sweep against it once to migrate it`);
    return db;
  } catch (error) {
    db?.close();
    explain(path, error);
  }
}
