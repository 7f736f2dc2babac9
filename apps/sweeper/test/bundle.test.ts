/**
 * The portable folder (`sweeper:bundle`), as a GPU node without network uses it: built, copied where no
 * node_modules is above it, and run with plain `node` on the smoke sweep.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultsReader } from '@l2x/store';
import { nativeKernels } from '@l2x/native-kernels';

const ROOT = join(import.meta.dirname, '../../..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let dir: string;
let bundle: string;

/** Whether any folder from `path` up to the root holds a node_modules (the bundle must not lean on one). */
function nodeModulesAbove(path: string): boolean {
  for (let at = path; ; at = dirname(at)) {
    if (existsSync(join(at, 'node_modules'))) return true;
    if (dirname(at) === at) return false;
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sweeper-bundle-'));
  const built = join(dir, 'built');
  const result = spawnSync(process.execPath, ['--import', TSX, join(ROOT, 'apps/sweeper/bundle/build.ts'), '--out', built], { cwd: ROOT, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  // Moved after building, as a user copies it to a cluster: nothing may point back into the workspace.
  bundle = join(dir, 'copied');
  cpSync(built, bundle, { recursive: true });
  rmSync(built, { recursive: true });
  cpSync(join(ROOT, 'sweeps/smoke.yaml'), join(dir, 'smoke.yaml'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sweeper bundle', () => {
  it('holds no node_modules and has none above it', () => {
    expect(readdirSync(bundle)).not.toContain('node_modules');
    expect(nodeModulesAbove(bundle)).toBe(false);
  });

  it('runs the smoke sweep with plain node, on the native product kernel when the workspace built it', async () => {
    const db = join(dir, 'results.db');
    const result = spawnSync(process.execPath, [join(bundle, 'main.js'), 'run', '--config', 'smoke.yaml', '--db', db, '--no-dashboard', '--backend', 'wasm'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, INIT_CWD: dir },
    });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const reader = await ResultsReader.open(db);
    try {
      const trials = await reader.trialSummary('smoke', ['status', 'backend', 'kernels', 'hard_acc']);
      expect(trials).toHaveLength(4);
      for (const t of trials) {
        expect(t).toMatchObject({ status: 'completed', backend: 'wasm' });
        expect(t.hard_acc).toEqual(expect.any(Number)); // metrics written (60 steps are too few to judge them)
        expect(t.kernels).toMatch(nativeKernels() ? /^wasm\+native / : /^wasm$/);
      }
    } finally {
      await reader.close();
    }
  });

  it('lists the WebGPU adapters from its own child (Dawn beside the bundle), one JSON line', () => {
    const result = spawnSync(process.execPath, [join(bundle, 'list-adapters.js')], { cwd: dir, encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: tmpdir() } });
    expect(result.status, result.stderr).toBe(0);
    const listing = JSON.parse(result.stdout.trim()) as { adapters: { name: string }[]; problem?: string };
    // Where the webgpu tests must run (CI, lavapipe), Dawn must have found an adapter; elsewhere a reason stands in.
    if (process.env.L2X_REQUIRE_WEBGPU === '1') expect(listing.adapters.length, listing.problem).toBeGreaterThan(0);
    else expect(listing.adapters.length > 0 || (listing.problem ?? '').length > 0).toBe(true);
  });
});
