/**
 * `sweeper run --backend webgpu` of the smoke sweep, end to end in a separate process: every trial completes on
 * webgpu with the adapter's name as its device, and the run records the adapter's driver. Skips, saying why,
 * where no WebGPU adapter exists; fails instead under L2X_REQUIRE_WEBGPU=1 (CI).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { deviceLabel, webgpuForTests, webgpuStatus } from '@l2x/model/webgpu';

const ROOT = join(import.meta.dirname, '../../..');
const MAIN = join(ROOT, 'apps/sweeper/src/main.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const available = await webgpuForTests();

describe.skipIf(!available)('sweeper run --backend webgpu', () => {
  it('runs the smoke sweep: every trial completed on webgpu, the adapter stored as its device, the driver in runs', async () => {
    const { adapters } = await webgpuStatus();
    const dir = mkdtempSync(join(tmpdir(), 'sweeper-webgpu-'));
    try {
      const db = join(dir, 'results.db');
      // Asynchronously: a synchronous spawn would block vitest's worker for minutes (lavapipe is slow).
      const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const args = ['--import', TSX, MAIN, 'run', '--config', 'sweeps/smoke.yaml', '--backend', 'webgpu', '--db', db, '--no-dashboard'];
        execFile(process.execPath, args, { cwd: ROOT, env: { ...process.env, INIT_CWD: ROOT }, maxBuffer: 1 << 24 }, (error, stdout, stderr) =>
          resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/worker 0: backend webgpu on /);
      const read = new Database(db, { readonly: true });
      const trials = read.prepare(`SELECT status, backend, device FROM trial_summary WHERE sweep = 'smoke'`).all() as { status: string; backend: string; device: string }[];
      const runs = read.prepare('SELECT backend, devices FROM runs').all() as { backend: string; devices: string }[];
      read.close();
      expect(trials).toHaveLength(4);
      const labels = adapters.map(deviceLabel);
      for (const t of trials) {
        expect(t.status).toBe('completed');
        expect(t.backend).toBe('webgpu');
        expect(labels).toContain(t.device);
      }
      const devices = JSON.parse(runs[0]!.devices) as { device: string; driver: string }[];
      expect(devices.map((d) => d.device)).toEqual([trials[0]!.device]);
      expect(devices[0]!.driver).toContain(adapters.find((a) => deviceLabel(a) === trials[0]!.device)!.driver);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
