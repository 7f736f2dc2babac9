/**
 * PostgreSQL behind the store's SQL interface (`pg`'s pool). Integers and numerics come back as numbers, as
 * SQLite gives them. A statement or transaction that fails because the connection was lost (the server
 * restarting, a network cut) is retried with exponential backoff (p-retry) on a fresh connection. A retry after a
 * commit whose answer was lost changes nothing twice: writes about a trial are fenced by its attempt, inserts do
 * nothing on conflict, and a claim whose answer was lost leaves its trial to the lease, which expires and requeues it.
 */
import pg from 'pg';
import pRetry, { AbortError } from 'p-retry';
import { POSTGRES } from './dialect.ts';
import type { Params, Row, Sql } from './sql.ts';

const asNumber = (value: string) => Number(value);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return asNumber;
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/** SQLSTATE classes and socket errors that mean the connection, not the statement, failed. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  const message = (error as Error | null)?.message ?? '';
  return /Connection terminated|connection.*(closed|ended)|Client has encountered a connection error/i.test(message);
}

/** `?` placeholders to PostgreSQL's `$1, $2, …` (the store's SQL has no `?` inside literals). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export interface RetryOptions {
  /** How many times a lost connection is retried before the error is thrown (default 12: about a minute). */
  retries?: number;
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
  /** Told of each retry (the sweeper prints it once). */
  onRetry?: (error: Error, attempt: number) => void;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

async function query<T>(client: Queryable, sql: string, params: Params): Promise<pg.QueryResult<Row> & { rows: T[] }> {
  return (await client.query(numbered(sql), params as unknown[])) as pg.QueryResult<Row> & { rows: T[] };
}

export class PgSql implements Sql {
  readonly dialect = POSTGRES;
  readonly pool: pg.Pool;
  private readonly retry: Required<Omit<RetryOptions, 'onRetry'>> & Pick<RetryOptions, 'onRetry'>;

  constructor(readonly url: string, options: { max?: number; retry?: RetryOptions } = {}) {
    this.pool = new pg.Pool({ connectionString: url, max: options.max ?? 4, types, connectionTimeoutMillis: 10_000 });
    // An idle client whose server went away: the pool drops it; the next query reconnects.
    this.pool.on('error', () => {});
    this.retry = { retries: 12, minTimeoutMs: 100, maxTimeoutMs: 5_000, ...options.retry };
  }

  /** Runs `task`, retrying it on a lost connection with exponential backoff. */
  private withRetry<T>(task: () => Promise<T>): Promise<T> {
    return pRetry(
      async () => {
        try {
          return await task();
        } catch (error) {
          if (!isConnectionError(error)) throw new AbortError(error as Error);
          throw error;
        }
      },
      {
        retries: this.retry.retries,
        minTimeout: this.retry.minTimeoutMs,
        maxTimeout: this.retry.maxTimeoutMs,
        factor: 2,
        randomize: true,
        onFailedAttempt: ({ error, attemptNumber }) => this.retry.onRetry?.(error, attemptNumber),
      },
    );
  }

  all<T = Row>(sql: string, params: Params = []): Promise<T[]> {
    return this.withRetry(async () => (await query<T>(this.pool, sql, params)).rows);
  }

  get<T = Row>(sql: string, params: Params = []): Promise<T | undefined> {
    return this.withRetry(async () => (await query<T>(this.pool, sql, params)).rows[0]);
  }

  run(sql: string, params: Params = []): Promise<number> {
    return this.withRetry(async () => (await query(this.pool, sql, params)).rowCount ?? 0);
  }

  exec(script: string): Promise<void> {
    return this.withRetry(async () => {
      await this.pool.query(script);
    });
  }

  transaction<T>(body: (tx: Sql) => Promise<T>): Promise<T> {
    return this.withRetry(() => this.once(body));
  }

  /** One try of a transaction on one pooled connection. */
  private async once<T>(body: (tx: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const result = await body(new PgTransaction(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = isConnectionError(error) ? error : undefined;
      if (!broken) await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release(broken as Error | undefined);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

class PgTransaction implements Sql {
  readonly dialect = POSTGRES;
  constructor(private readonly client: pg.PoolClient) {}
  async all<T = Row>(sql: string, params: Params = []): Promise<T[]> {
    return (await query<T>(this.client, sql, params)).rows;
  }
  async get<T = Row>(sql: string, params: Params = []): Promise<T | undefined> {
    return (await query<T>(this.client, sql, params)).rows[0];
  }
  async run(sql: string, params: Params = []): Promise<number> {
    return (await query(this.client, sql, params)).rowCount ?? 0;
  }
  async exec(script: string): Promise<void> {
    await this.client.query(script);
  }
  async transaction<T>(body: (tx: Sql) => Promise<T>): Promise<T> {
    return body(this);
  }
  async close(): Promise<void> {
    throw new Error('bug: close inside a transaction');
  }
}
