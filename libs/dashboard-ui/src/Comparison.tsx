import { Box, Text } from 'ink';
import type { Summary } from '@l2x/stats';
import { PAIR_GLYPHS, fit, meanCi, pad, pairBar } from './format.ts';
import { SectionTitle } from './SectionTitle.tsx';
import { tint } from './theme.ts';
import type { ComparisonRow } from './view-model.ts';

export interface ComparisonProps {
  width: number;
  colour: boolean;
  /** The setting the rows are grouped by (undefined: the sweep sweeps nothing). */
  setting: string | undefined;
  /** How many settings `tab` cycles through. */
  groupings: number;
  rows: ComparisonRow[];
  /** Axis of the soft-vs-hard bars. */
  axis: { lo: number; hi: number };
  /** Rows of screen this section may take, title and column names included. */
  height: number;
}

const METRICS = [
  { key: 'soft', name: 'soft_acc', short: 'soft' },
  { key: 'hard', name: 'hard_acc', short: 'hard' },
  { key: 'gap', name: 'gap', short: 'gap' },
  { key: 'precision', name: 'precision', short: 'prec' },
] as const;

interface Columns {
  value: number;
  n: number;
  digits: number;
  withCi: boolean;
  cells: number[];
  bar: number;
}

/**
 * The widest number format whose columns leave room for the bars: three decimals with the interval when the bars
 * keep 16 columns, two decimals with the interval when they keep 8, else means only.
 */
export function comparisonColumns(width: number, setting: string, rows: readonly ComparisonRow[]): Columns {
  const value = Math.min(14, Math.max(setting.length, 4, ...rows.map((r) => r.value.length)));
  const n = Math.max(1, ...rows.map((r) => `${r.done}/${r.total}`.length));
  const formats = [
    { digits: 3, withCi: true, minBar: 16 },
    { digits: 2, withCi: true, minBar: 8 },
    { digits: 2, withCi: false, minBar: 0 },
  ];
  let chosen: Columns | undefined;
  for (const { digits, withCi, minBar } of formats) {
    const cells = METRICS.map(({ key, name, short }) =>
      Math.max(withCi ? name.length : short.length, ...rows.map((r) => meanCi(r[key], digits, withCi).length)),
    );
    const bar = width - (value + 1 + n + 1 + cells.reduce((a, c) => a + c + 1, 0));
    chosen = { value, n, digits, withCi, cells, bar: Math.max(0, bar) };
    if (bar >= minBar) break;
  }
  return chosen!;
}

function PairBar({ soft, hard, axis, width, colour }: { soft: Summary; hard: Summary; axis: { lo: number; hi: number }; width: number; colour: boolean }) {
  const runs = pairBar(soft.mean, hard.mean, axis.lo, axis.hi, width);
  return (
    <>
      {runs.map((run, i) => {
        if (!colour) return <Text key={i}>{PAIR_GLYPHS[run.cell].repeat(run.length)}</Text>;
        // Upper half soft, lower half hard: one cell shows both bars.
        if (run.cell === 'both')
          return (
            <Text key={i} color={tint(colour, 'soft')} backgroundColor={tint(colour, 'hard')}>
              {'▀'.repeat(run.length)}
            </Text>
          );
        if (run.cell === 'soft')
          return (
            <Text key={i} color={tint(colour, 'soft')}>
              {'▀'.repeat(run.length)}
            </Text>
          );
        if (run.cell === 'hard')
          return (
            <Text key={i} color={tint(colour, 'hard')}>
              {'▄'.repeat(run.length)}
            </Text>
          );
        return <Text key={i}>{' '.repeat(run.length)}</Text>;
      })}
    </>
  );
}

/**
 * The sweep's question, answered per value of one setting: soft and hard accuracy, their gap and the explanation's
 * precision, each mean ± 95% CI over the completed trials with that value, and soft and hard as a pair of bars on
 * one axis (upper half soft, lower half hard) so that the gap shows as the `▀` tail.
 */
export function Comparison({ width, colour, setting, groupings, rows, axis, height }: ComparisonProps) {
  if (height <= 0) return null;
  const hint = groupings > 1 ? 'tab: next setting' : undefined;
  if (setting === undefined)
    return (
      <Box flexDirection="column" width={width}>
        <SectionTitle width={width} colour={colour} title="Comparison" />
        {height > 1 ? <Text>{fit('  this sweep sweeps no setting', width)}</Text> : null}
      </Box>
    );
  const title = `Comparison by ${setting} · mean ± 95% CI`;
  const completed = rows.reduce((a, r) => a + r.done, 0);
  if (completed === 0 || height < 3)
    return (
      <Box flexDirection="column" width={width}>
        <SectionTitle width={width} colour={colour} title={title} hint={hint} />
        {height > 1 ? <Text>{fit(`  no completed trials yet (${rows.length} value${rows.length === 1 ? '' : 's'} of ${setting} queued)`, width)}</Text> : null}
      </Box>
    );

  const cols = comparisonColumns(width, setting, rows);
  const room = height - 2;
  const shown = rows.length > room ? rows.slice(0, Math.max(0, room - 1)) : rows;
  const hidden = rows.length - shown.length;
  const names = METRICS.map(({ name, short }, i) => pad(cols.withCi || name.length <= cols.cells[i]! ? name : short, cols.cells[i]!));
  const range = `${axis.lo.toFixed(1)}–${axis.hi.toFixed(1)}`;
  const legend = fit([`▀soft ▄hard ${range}`, `▀soft ▄hard`, `▀s ▄h ${range}`, `▀s ▄h`].find((l) => l.length <= cols.bar) ?? '', cols.bar);

  return (
    <Box flexDirection="column" width={width}>
      <SectionTitle width={width} colour={colour} title={title} hint={hint} />
      <Text wrap="truncate-end" bold={colour}>
        {pad(setting, cols.value)} {pad('n', cols.n, 'right')} {names.join(' ')} {legend}
      </Text>
      {shown.map((row) => (
        <Text key={row.value} wrap="truncate-end">
          {pad(row.value, cols.value)} {pad(`${row.done}/${row.total}`, cols.n, 'right')}{' '}
          {METRICS.map(({ key }, i) => {
            const text = pad(meanCi(row[key], cols.digits, cols.withCi), cols.cells[i]!);
            const role = key === 'soft' ? 'soft' : key === 'hard' ? 'hard' : undefined;
            return (
              <Text key={key} color={role ? tint(colour, role) : undefined}>
                {text}{' '}
              </Text>
            );
          })}
          <PairBar soft={row.soft} hard={row.hard} axis={axis} width={cols.bar} colour={colour} />
        </Text>
      ))}
      {hidden > 0 ? <Text dimColor={colour}>{fit(`  … ${hidden} more value${hidden === 1 ? '' : 's'}`, width)}</Text> : null}
    </Box>
  );
}
