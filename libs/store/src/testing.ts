/**
 * PostgreSQL for tests and benchmarks: each caller gets a database of its own on the development server
 * (127.0.0.1:5432, trust authentication; `L2X_TEST_PG` names another server's maintenance database), dropped after.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_PG_ADMIN = process.env.L2X_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** postgres:// URL of the new, empty database. */
  url: string;
  name: string;
  /** Drops it, ending any connection still open to it. */
  drop(): Promise<void>;
}

async function admin<T>(task: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_PG_ADMIN });
  await client.connect();
  try {
    return await task(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database named after `prefix` and a random suffix. */
export async function createTestDatabase(prefix = 'l2x_test'): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`.toLowerCase();
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(TEST_PG_ADMIN);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  };
}
