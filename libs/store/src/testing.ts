/**
 * PostgreSQL for tests and benchmarks: each caller gets a database of its own on the development server
 * (127.0.0.1:5432, trust authentication; `L2X_TEST_PG` names another server's maintenance database), dropped after;
 * a test that restarts the server gets a private one in a temporary folder.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A PostgreSQL server of a test's own (to restart it without touching the shared one). */
export interface PrivateServer {
  /** postgres:// URL of its database `results`. */
  url: string;
  /** Stops the server (fast shutdown: connections are cut) and starts it again after `downMs`. */
  restart(downMs: number): Promise<void>;
  /** Stops it and removes its files. */
  destroy(): Promise<void>;
}

const run = (command: string, args: string[]) => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr || result.stdout}`);
};

/** PostgreSQL's programs of the newest version installed (Debian keeps them out of PATH). */
function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  if (!version) throw new Error(`no PostgreSQL under ${root}`);
  return join(root, version, 'bin', name);
}

/**
 * Creates and starts a server in a temporary folder on a free port, with trust authentication on 127.0.0.1, and a
 * database `results` in it. initdb refuses root: as root the server runs as the `postgres` user, otherwise as
 * whoever runs the tests.
 */
export async function startPrivateServer(options: { password?: string } = {}): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), 'l2x-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const owner = process.getuid?.() === 0 ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) } : null;
  const asPostgres = (command: string, args: string[]) => (owner ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  // With a password: scram-sha-256 authentication for user postgres, as production servers have it.
  const auth = options.password === undefined ? ['-A', 'trust'] : ['-A', 'scram-sha-256', `--pwfile=${join(dir, 'password')}`];
  if (options.password !== undefined) {
    writeFileSync(join(dir, 'password'), `${options.password}\n`);
    if (owner) chownSync(join(dir, 'password'), owner.uid, owner.gid);
  }
  asPostgres(pgBin('initdb'), ['-D', data, ...auth, '-U', 'postgres', '--no-sync']);
  const start = () =>
    asPostgres(pgBin('pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const stop = () => asPostgres(pgBin('pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
  start();
  const user = options.password === undefined ? 'postgres' : `postgres:${encodeURIComponent(options.password)}`;
  const base = `postgres://${user}@127.0.0.1:${port}`;
  const client = new pg.Client({ connectionString: `${base}/postgres` });
  await client.connect();
  await client.query('CREATE DATABASE results');
  await client.end();
  return {
    url: `${base}/results`,
    restart: async (downMs) => {
      stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      start();
    },
    destroy: async () => {
      try {
        stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
