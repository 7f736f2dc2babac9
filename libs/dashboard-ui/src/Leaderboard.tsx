import { Box, Text } from 'ink';
import { fit, meanCi, num, pad } from './format.ts';
import { SectionTitle } from './SectionTitle.tsx';
import { tint } from './theme.ts';
import type { LeaderRow, SortKey } from './view-model.ts';

export interface LeaderboardProps {
  width: number;
  colour: boolean;
  /** The swept settings: the column names of a configuration's values. */
  settings: string[];
  sort: SortKey;
  rows: LeaderRow[];
  /** Index of the highlighted row (↑/↓). */
  selected: number;
  /** Rows of screen this section may take, title and column names included. */
  height: number;
}

/** The visible slice of a list: `size` rows with the selected one in view, near the middle when scrolling. */
export function visibleSlice(length: number, size: number, selected: number): { start: number; end: number } {
  if (size <= 0) return { start: 0, end: 0 };
  if (length <= size) return { start: 0, end: length };
  const start = Math.min(Math.max(0, selected - Math.floor(size / 2)), length - size);
  return { start, end: start + size };
}

const MEANS = [
  { key: 'soft', name: 'soft' },
  { key: 'hard', name: 'hard' },
  { key: 'gap', name: 'gap' },
  { key: 'precision', name: 'prec' },
] as const;

/** Configurations ranked by the sort metric (mean ± 95% CI over seeds), with their soft, hard, gap and precision means. */
export function Leaderboard({ width, colour, settings, sort, rows, selected, height }: LeaderboardProps) {
  if (height <= 0) return null;
  const order = sort.goal === 'maximize' ? 'highest first' : 'lowest first';
  const full = `Leaderboard · ${rows.length} configuration${rows.length === 1 ? '' : 's'} · by ${sort.metric}, ${order}`;
  const title = full.length + 14 <= width ? full : `Leaderboard · by ${sort.metric}, ${order}`;
  if (rows.length === 0 || height < 3)
    return (
      <Box flexDirection="column" width={width}>
        <SectionTitle width={width} colour={colour} title={title} hint="s: sort" />
        {height > 1 ? <Text>{fit('  no completed configuration yet', width)}</Text> : null}
      </Box>
    );

  const { start, end } = visibleSlice(rows.length, height - 2, selected);
  const visible = rows.slice(start, end);
  const rankWidth = String(rows.length).length + 1;
  const nWidth = Math.max(1, ...visible.map((r) => String(r.n).length));
  const valueWidth = Math.max(sort.metric.length, ...visible.map((r) => meanCi(r.value).length));
  const fixed = 2 + rankWidth + 1 + 1 + nWidth + 1 + valueWidth;
  // The four means (6 columns each) go when the settings would have fewer than 16 columns left.
  const means = width - fixed - 1 - MEANS.length * 6 >= 16 ? MEANS : [];
  const labelWidth = Math.max(6, width - fixed - 1 - means.length * 6);
  // The configuration as one column per swept setting, named in the header (`tau k`, then `0.1 3`).
  const widths = settings.map((name, i) => Math.max(name.length, ...visible.map((r) => (r.values[i] ?? '').length)));
  const columns = (cells: readonly string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, widths[i]!))).join(' ');
  const names = settings.length ? columns(settings) : 'configuration';

  return (
    <Box flexDirection="column" width={width}>
      <SectionTitle width={width} colour={colour} title={title} hint="s: sort" />
      <Text wrap="truncate-end" bold={colour}>
        {'  '}
        {pad('#', rankWidth, 'right')} {pad(names, labelWidth)} {pad('n', nWidth, 'right')} {pad(sort.metric, valueWidth)}
        {means.map((m) => ` ${pad(m.name, 5, 'right')}`).join('')}
      </Text>
      {visible.map((row, i) => {
        const isSelected = start + i === selected;
        return (
          <Text key={row.configKey} wrap="truncate-end" inverse={colour && isSelected}>
            <Text color={isSelected ? tint(colour, 'selected') : undefined}>{isSelected ? '›' : ' '}</Text>{' '}
            {pad(`${row.rank}.`, rankWidth, 'right')} {pad(settings.length ? columns(row.values) : row.label, labelWidth)} {pad(String(row.n), nWidth, 'right')}{' '}
            <Text bold={colour}>{pad(meanCi(row.value), valueWidth)}</Text>
            {means.map((m) => ` ${pad(num(row[m.key], 3), 5, 'right')}`).join('')}
          </Text>
        );
      })}
    </Box>
  );
}
