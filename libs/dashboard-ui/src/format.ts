/**
 * Text building blocks of the dashboard: bars, sparklines, numbers and durations that fit a given width.
 * Pure functions; every glyph is one terminal column wide, so `string.length` is the width on screen.
 */
import prettyMilliseconds from 'pretty-ms';
import type { Summary } from '@l2x/stats';
import { describeKey } from '@l2x/store';

/** Cuts `text` to `width` columns, marking the cut with `…`. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** Pads (or cuts) to exactly `width` columns. */
export function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = fit(text, width);
  return align === 'left' ? cut.padEnd(width) : cut.padStart(width);
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar `width` columns wide filled to `fraction` (0..1), with eighth-of-a-column resolution. */
export function bar(fraction: number, width: number, empty = '░'): string {
  if (width <= 0) return '';
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const eighths = Math.round(f * width * 8);
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8]!;
  return ('█'.repeat(full) + part).padEnd(width, empty);
}

const SPARKS = '▁▂▃▄▅▆▇█';

/** A sparkline of the last `width` values, scaled between their min and max (flat series sit low). */
export function sparkline(values: readonly number[], width: number): string {
  const xs = values.filter((v) => Number.isFinite(v)).slice(-Math.max(0, width));
  if (xs.length === 0 || width <= 0) return '';
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  const span = max - min;
  return xs.map((v) => SPARKS[span > 0 ? Math.round(((v - min) / span) * (SPARKS.length - 1)) : 0]!).join('');
}

/**
 * Splits `width` columns among `parts` in proportion (largest remainder), giving every non-zero part at least
 * one column when there is room: a single failed trial among a thousand still shows.
 */
export function apportion(parts: readonly number[], width: number): number[] {
  const total = parts.reduce((a, b) => a + b, 0);
  if (total <= 0 || width <= 0) return parts.map(() => 0);
  const exact = parts.map((p) => (p / total) * width);
  const cells = exact.map(Math.floor);
  let left = width - cells.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left <= 0) break;
    cells[i]! += 1;
    left -= 1;
  }
  // Make small non-zero parts visible, taking the column from the largest part.
  for (let i = 0; i < parts.length; i++) {
    if (parts[i]! > 0 && cells[i] === 0) {
      const largest = cells.indexOf(Math.max(...cells));
      if (cells[largest]! > 1) {
        cells[largest]! -= 1;
        cells[i] = 1;
      }
    }
  }
  return cells;
}

/** `3m 12s`, `1h 4m`, `12s`; `–` when unknown. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return '0s';
  return prettyMilliseconds(ms, { secondsDecimalDigits: 0, unitCount: 2 });
}

/** A metric value with `digits` decimals; `–` when missing. */
export function num(value: number | null | undefined, digits = 3): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** `0.912±0.031`, or just the mean when there is one value, `–` when there is none. */
export function meanCi(s: Summary, digits = 3, withCi = true): string {
  if (s.n === 0 || !Number.isFinite(s.mean)) return '–';
  const mean = s.mean.toFixed(digits);
  return withCi && Number.isFinite(s.ci95) ? `${mean}±${s.ci95.toFixed(digits)}` : mean;
}

/** The glyphs of a soft-vs-hard pair drawn in one row: the upper half of a cell is soft, the lower half hard. */
export type PairCell = 'both' | 'soft' | 'hard' | 'none';

/**
 * Two bars on one row and one axis [lo, hi]: soft accuracy in the upper half of each cell, hard accuracy in the
 * lower half. Where soft runs past hard, the cells are upper halves only (`▀`): that tail is the gap.
 * Returns runs of equal cells so that a renderer can colour them.
 */
export function pairBar(soft: number, hard: number, lo: number, hi: number, width: number): { cell: PairCell; length: number }[] {
  if (width <= 0) return [];
  const cellsOf = (v: number) => (Number.isFinite(v) && hi > lo ? Math.round(Math.min(1, Math.max(0, (v - lo) / (hi - lo))) * width) : 0);
  const s = cellsOf(soft);
  const h = cellsOf(hard);
  const runs: { cell: PairCell; length: number }[] = [];
  for (let i = 0; i < width; i++) {
    const cell: PairCell = i < s && i < h ? 'both' : i < s ? 'soft' : i < h ? 'hard' : 'none';
    const last = runs[runs.length - 1];
    if (last && last.cell === cell) last.length += 1;
    else runs.push({ cell, length: 1 });
  }
  return runs;
}

export const PAIR_GLYPHS: Record<PairCell, string> = { both: '█', soft: '▀', hard: '▄', none: ' ' };

/** The same pair as plain text. */
export function pairBarText(soft: number, hard: number, lo: number, hi: number, width: number): string {
  return pairBar(soft, hard, lo, hi, width)
    .map((run) => PAIR_GLYPHS[run.cell].repeat(run.length))
    .join('');
}

/** `tau=0.1 k=3` from a trial's swept settings ('' when nothing is swept). */
export function settingsLabel(settings: Readonly<Record<string, unknown>>, names: readonly string[]): string {
  return names.length ? describeKey(settings, names, ' ') : '';
}

/** The first line of an error message, whitespace collapsed. */
export function oneLine(text: string | null | undefined): string {
  if (!text) return '(no message)';
  const first = text.split('\n').find((line) => line.trim() !== '') ?? text;
  return first.replace(/\s+/g, ' ').trim();
}
