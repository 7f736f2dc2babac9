/**
 * The report tests' database, written through the real store writer. Values are chosen so that the means and
 * intervals can be worked out by hand (see aggregate.test.ts).
 *
 * Sweep `grid` (swept tau and k, ranked by hard_acc, maximize), still running:
 *   tau 0.1, k 3: seeds 0–2, hard 0.6 0.7 0.8, soft 0.9 ×3, gap 0.3 0.2 0.1, precision 0.5 0.6 0.7, loss 0.4 0.3 0.2
 *   tau 0.5, k 3: seeds 0–1, hard 0.75 0.85, soft 0.95 0.95, gap 0.2 0.1, precision 0.8 0.9, loss 0.1 0.1
 *   tau 0.5, k 2: seeds 0–3, hard 0.2 0.4 0.4 0.6, soft 0.5 0.5 0.5 0.5, gap 0.3 0.1 0.1 -0.1, precision 0.3 ×4, loss 1 ×4
 *   tau 1,   k 2: seed 0 failed, seed 1 queued (no completed trial)
 * Curves (steps 100 and 200) on every completed trial: hard_acc = final − 0.1 then final; precision = final then final.
 *
 * Sweep `batch` (swept tau, fixed attention: batch, k 3 as grid's default), completed:
 *   tau 0.1: seeds 0–1, hard 0.9 0.8; tau 0.2: seed 0, hard 0.5 (one seed: no interval). No curves.
 *
 * Sweep `empty`: two queued trials, one running.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResultsStore } from '@l2x/store';
import { writeFixtureSweep, type FixtureTrial } from '@l2x/store/fixtures';
import type { Metrics } from '@l2x/model/config';
import { ReportReader, buildReport, type Report } from '../src/index.ts';

type Final = Pick<Metrics, 'hard_acc' | 'soft_acc' | 'gap' | 'precision' | 'loss'>;

function done(tau: number, k: number, seed: number, m: Final, curves = true): FixtureTrial {
  return {
    params: { tau, k },
    seed,
    metrics: m,
    ...(curves
      ? { curve: { 100: { hard_acc: m.hard_acc - 0.1, precision: m.precision }, 200: { hard_acc: m.hard_acc, precision: m.precision } } }
      : {}),
  };
}

const f = (hard_acc: number, soft_acc: number, gap: number, precision: number, loss: number): Final => ({ hard_acc, soft_acc, gap, precision, loss });

/** Writes the report fixture's sweeps into a results database (a SQLite path or a postgres:// URL). */
export async function writeReportFixture(location: string): Promise<void> {
  const store = await ResultsStore.open(location);
  try {
    await writeFixtureSweep(store, {
      name: 'grid',
      swept: ['tau', 'k'],
      trials: [
        done(0.1, 3, 0, f(0.6, 0.9, 0.3, 0.5, 0.4)),
        done(0.1, 3, 1, f(0.7, 0.9, 0.2, 0.6, 0.3)),
        done(0.1, 3, 2, f(0.8, 0.9, 0.1, 0.7, 0.2)),
        done(0.5, 3, 0, f(0.75, 0.95, 0.2, 0.8, 0.1)),
        done(0.5, 3, 1, f(0.85, 0.95, 0.1, 0.9, 0.1)),
        done(0.5, 2, 0, f(0.2, 0.5, 0.3, 0.3, 1)),
        done(0.5, 2, 1, f(0.4, 0.5, 0.1, 0.3, 1)),
        done(0.5, 2, 2, f(0.4, 0.5, 0.1, 0.3, 1)),
        done(0.5, 2, 3, f(0.6, 0.5, -0.1, 0.3, 1)),
        { params: { tau: 1, k: 2 }, seed: 0, status: 'failed', error: 'loss became NaN at step 12' },
        { params: { tau: 1, k: 2 }, seed: 1, status: 'queued' },
      ],
    });
    await writeFixtureSweep(store, {
      name: 'batch',
      swept: ['tau'],
      fixed: { attention: 'batch' },
      trials: [
        done(0.1, 3, 0, f(0.9, 0.95, 0.05, 0.9, 0.1), false),
        done(0.1, 3, 1, f(0.8, 0.95, 0.15, 0.8, 0.1), false),
        done(0.2, 3, 0, f(0.5, 0.6, 0.1, 0.5, 0.5), false),
      ],
    });
    const empty = await writeFixtureSweep(store, {
      name: 'empty',
      swept: ['tau'],
      trials: [
        { params: { tau: 0.1 }, seed: 0, status: 'queued' },
        { params: { tau: 0.1 }, seed: 1, status: 'queued' },
        { params: { tau: 0.2 }, seed: 0, status: 'interrupted' },
      ],
    });
    await store.setSweepStatus(empty, 'interrupted');
    // `batch` finished: the sweeper marks the sweep completed.
    await store.setSweepStatus((await store.sweep('batch')).id, 'completed');
  } finally {
    await store.close();
  }
}

/** The fixture database in a scratch folder, opened for reports, with the three reports the tests look at. */
export interface OpenedFixture {
  dir: string;
  reader: ReportReader;
  /** Sweep `grid` per configuration, grouped by tau, and compared with sweep `batch`. */
  single: Report;
  grouped: Report;
  compared: Report;
  close(): Promise<void>;
}

export async function openReportFixture(prefix: string): Promise<OpenedFixture> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  await writeReportFixture(join(dir, 'results.db'));
  const reader = await ReportReader.open(join(dir, 'results.db'));
  return {
    dir,
    reader,
    single: await buildReport(reader, { sweep: 'grid' }),
    grouped: await buildReport(reader, { sweep: 'grid', by: 'tau' }),
    compared: await buildReport(reader, { sweep: 'grid', compare: 'batch' }),
    async close() {
      await reader.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
