/**
 * Writes the small example database whose sqlite3 output the README shows (a `tau` sweep: tau × k, 3 seeds,
 * one failed trial), through the real store writer.
 *
 *   npx tsx libs/report/test/example-db.ts /tmp/example.db
 */
import { rmSync } from 'node:fs';
import { ResultsStore } from '@l2x/store';
import { writeFixtureSweep, type FixtureTrial } from '@l2x/store/fixtures';

const path = process.argv[2];
if (!path) throw new Error('usage: example-db.ts OUT.db');
rmSync(path, { force: true });

// Soft accuracy rises with tau while hard accuracy falls: the relaxed mask grows diffuse, so the gap widens.
const base: Record<number, [soft: number, hard: number]> = { 0.05: [0.91, 0.88], 0.1: [0.93, 0.89], 0.2: [0.95, 0.84], 0.5: [0.97, 0.71], 1: [0.98, 0.58] };
const wobble = [0, 0.012, -0.009];
const trials: FixtureTrial[] = [];
for (const [tau, [soft, hard]] of Object.entries(base).map(([t, v]) => [Number(t), v] as const))
  for (const k of [2, 3])
    for (const seed of [0, 1, 2]) {
      if (tau === 1 && k === 2 && seed === 2) {
        trials.push({ params: { tau, k }, seed, status: 'failed', error: 'loss became NaN at step 340' });
        continue;
      }
      const h = Number((hard - (k === 2 ? 0.03 : 0) + wobble[seed]!).toFixed(3));
      const s = Number((soft + wobble[(seed + 1) % 3]! / 2).toFixed(3));
      trials.push({
        params: { tau, k },
        seed,
        metrics: { soft_acc: s, hard_acc: h, gap: Number((s - h).toFixed(3)), precision: Number((h - 0.1).toFixed(3)), loss: Number((1.1 - h).toFixed(3)) },
        curve: { 500: { hard_acc: h - 0.1, precision: h - 0.2 }, 1000: { hard_acc: h, precision: h - 0.1 } },
      });
    }
const store = ResultsStore.open(path);
const id = writeFixtureSweep(store, { name: 'tau', swept: ['tau', 'k'], trials });
store.setSweepStatus(id, 'failed');
store.close();
console.log(`wrote ${path}: sweep tau, ${trials.length} trials`);
