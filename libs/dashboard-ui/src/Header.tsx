import { Box, Text } from 'ink';
import type { StatusCounts } from '@l2x/store';
import { apportion, duration, fit } from './format.ts';
import { tint, type ColourRole } from './theme.ts';
import type { SweepState } from './view-model.ts';

export interface HeaderProps {
  width: number;
  colour: boolean;
  name: string;
  state: SweepState;
  metric: { name: string; goal: 'maximize' | 'minimize' };
  counts: StatusCounts;
  elapsedMs: number | undefined;
  etaMs: number | undefined;
  backend: string | null;
  workers: number | null;
}

/** Glyph and colour of each part of the progress bar; distinct glyphs keep it readable without colour. */
const SEGMENTS: { part: 'completed' | 'pruned' | 'failed' | 'running' | 'queued'; glyph: string; role: ColourRole }[] = [
  { part: 'completed', glyph: '█', role: 'completed' },
  { part: 'pruned', glyph: '▚', role: 'pruned' },
  { part: 'failed', glyph: '▓', role: 'failed' },
  { part: 'running', glyph: '▒', role: 'running' },
  { part: 'queued', glyph: '░', role: 'queued' },
];

function etaText(state: SweepState, etaMs: number | undefined): string {
  if (state === 'done') return 'done';
  if (state === 'stopped') return 'stopped (trials left)';
  if (state === 'waiting') return 'not started';
  return `ETA ${duration(etaMs)}`;
}

/** The sweep's name, state and timing on one row; a progress bar with the counts on the next. */
export function Header({ width, colour, name, state, metric, counts, elapsedMs, etaMs, backend, workers }: HeaderProps) {
  const where = backend ? `${backend}${workers ? ` × ${workers} worker${workers === 1 ? '' : 's'}` : ''}` : undefined;
  const top = [`sweep ${name}`, `elapsed ${duration(elapsedMs)}`, etaText(state, etaMs), where, `${metric.name} ${metric.goal === 'maximize' ? '↑' : '↓'}`]
    .filter(Boolean)
    .join(' · ');

  const queued = counts.queued + counts.interrupted;
  const interrupted = counts.interrupted ? ` (${counts.interrupted} interrupted)` : '';
  // Pruned trials are done too (stopped early by early_terminate): counted in "done" and named apart.
  const done = counts.completed + counts.pruned;
  const pruned = counts.pruned ? ` (${counts.pruned} pruned)` : '';
  const long = `${done}/${counts.total} done${pruned} · ${counts.running} running · ${queued} queued${interrupted} · ${counts.failed} failed`;
  const short = `${done}/${counts.total} ✓${counts.pruned ? ` ${counts.pruned} ✂` : ''} ${counts.running} run ${queued} queued ${counts.failed} ✗`;
  const text = width - long.length - 1 >= 12 ? long : short;
  const barWidth = Math.max(0, width - text.length - 1);
  const cells = apportion([counts.completed, counts.pruned, counts.failed, counts.running, queued], barWidth);
  const used = cells.reduce((a, b) => a + b, 0);

  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text bold={colour}>{fit(top, width)}</Text>
      </Text>
      <Text wrap="truncate-end">
        {SEGMENTS.map(({ part, glyph, role }, i) =>
          cells[i] ? (
            <Text key={part} color={tint(colour, role)}>
              {glyph.repeat(cells[i]!)}
            </Text>
          ) : null,
        )}
        {barWidth > used ? '░'.repeat(barWidth - used) : ''}
        {barWidth > 0 ? ' ' : ''}
        {fit(text, width)}
      </Text>
    </Box>
  );
}
