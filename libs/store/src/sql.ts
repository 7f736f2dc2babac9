/**
 * One asynchronous way to run the store's SQL on either database: `all`, `get`, `run` with `?` placeholders,
 * `exec` for scripts, and `transaction` (a write transaction that holds the database's write lock on SQLite,
 * `BEGIN IMMEDIATE`; a plain transaction on PostgreSQL, whose row locks and `SKIP LOCKED` do the rest).
 */
import Database from 'better-sqlite3';
import { SQLITE, type Dialect } from './dialect.ts';

export type Params = readonly unknown[];
export type Row = Record<string, unknown>;

export interface Sql {
  readonly dialect: Dialect;
  all<T = Row>(sql: string, params?: Params): Promise<T[]>;
  get<T = Row>(sql: string, params?: Params): Promise<T | undefined>;
  /** Runs a statement; how many rows it changed. */
  run(sql: string, params?: Params): Promise<number>;
  /** Runs a script of several statements (no parameters). */
  exec(script: string): Promise<void>;
  /** Runs `body` in one write transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(body: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * better-sqlite3 behind the asynchronous interface. Its calls are synchronous, so the only thing to guard is
 * a transaction's body awaiting between statements: other callers on the same connection wait for it to finish.
 */
export class SqliteSql implements Sql {
  readonly dialect = SQLITE;
  private readonly statements = new Map<string, Database.Statement>();
  /**
   * Per database file, resolves when this process's transaction in progress (if any) ends. Shared by every
   * connection of the process to that file: another connection's statement waiting on the file's lock would
   * block this thread (SQLite waits synchronously) while the transaction holding it waits for the same thread.
   */
  private static readonly idleByFile = new Map<string, Promise<void>>();
  private readonly file: string;

  constructor(readonly db: Database.Database) {
    this.file = db.memory ? `:memory:${Math.random()}` : db.name;
    if (!SqliteSql.idleByFile.has(this.file)) SqliteSql.idleByFile.set(this.file, Promise.resolve());
  }

  private get idle(): Promise<void> {
    return SqliteSql.idleByFile.get(this.file)!;
  }

  private set idle(done: Promise<void>) {
    SqliteSql.idleByFile.set(this.file, done);
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Waits until no transaction of this process holds the file, and takes it in the same step; resolves with what lets it go. */
  private async ready(): Promise<() => void> {
    for (;;) {
      const current = this.idle;
      await current;
      if (this.idle !== current) continue;
      let release!: () => void;
      this.idle = new Promise<void>((resolve) => (release = resolve));
      return release;
    }
  }

  allNow<T>(sql: string, params: Params = []): T[] {
    return this.prepare(sql).all(...params) as T[];
  }

  /** Runs `statement` when no transaction of this process holds the file (it holds it while it runs). */
  private async alone<T>(statement: () => T): Promise<T> {
    const release = await this.ready();
    try {
      return statement();
    } finally {
      release();
    }
  }

  all<T = Row>(sql: string, params: Params = []): Promise<T[]> {
    return this.alone(() => this.allNow<T>(sql, params));
  }

  get<T = Row>(sql: string, params: Params = []): Promise<T | undefined> {
    return this.alone(() => this.getNow<T>(sql, params));
  }

  run(sql: string, params: Params = []): Promise<number> {
    return this.alone(() => this.runNow(sql, params));
  }

  exec(script: string): Promise<void> {
    return this.alone(() => void this.db.exec(script));
  }

  async transaction<T>(body: (tx: Sql) => Promise<T>): Promise<T> {
    const release = await this.ready();
    const tx = new SqliteTransaction(this);
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await body(tx);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    } finally {
      release();
    }
  }

  close(): Promise<void> {
    return this.alone(() => void this.db.close());
  }

  /** Inside a transaction: statements run at once, without waiting for the transaction itself. */
  runNow(sql: string, params: Params = []): number {
    return this.prepare(sql).run(...params).changes;
  }

  getNow<T>(sql: string, params: Params = []): T | undefined {
    return this.prepare(sql).get(...params) as T | undefined;
  }
}

class SqliteTransaction implements Sql {
  readonly dialect = SQLITE;
  constructor(private readonly outer: SqliteSql) {}
  async all<T = Row>(sql: string, params?: Params): Promise<T[]> {
    return this.outer.allNow<T>(sql, params);
  }
  async get<T = Row>(sql: string, params?: Params): Promise<T | undefined> {
    return this.outer.getNow<T>(sql, params);
  }
  async run(sql: string, params?: Params): Promise<number> {
    return this.outer.runNow(sql, params);
  }
  async exec(script: string): Promise<void> {
    this.outer.db.exec(script);
  }
  async transaction<T>(body: (tx: Sql) => Promise<T>): Promise<T> {
    return body(this); // already in one
  }
  async close(): Promise<void> {
    throw new Error('bug: close inside a transaction');
  }
}
