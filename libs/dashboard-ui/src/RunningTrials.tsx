import { Box, Text } from 'ink';
import { bar, fit, num, pad, sparkline } from './format.ts';
import { SectionTitle } from './SectionTitle.tsx';
import { tint } from './theme.ts';

export interface RunningRow {
  id: number;
  worker: number | null;
  /** The machine that runs it, when the sweep runs on several (null on one). */
  host?: string | null;
  /** The trial's swept settings and seed, `tau=0.1 seed=2`. */
  label: string;
  step: number;
  steps: number;
  /** The loss at each evaluation so far. */
  losses: number[];
}

export interface RunningTrialsProps {
  width: number;
  colour: boolean;
  rows: RunningRow[];
  /** Rows of screen this section may take, its title included. */
  height: number;
}

/** Which worker runs the trial (`w0`), on which machine when there are several (`gpu-3 w0`). */
function where(row: RunningRow): string {
  const worker = row.worker === null ? '–' : `w${row.worker}`;
  return row.host ? `${row.host} ${worker}` : worker;
}

/** Trials being trained now: settings, a step progress bar and a sparkline of the loss. */
export function RunningTrials({ width, colour, rows, height }: RunningTrialsProps) {
  if (height <= 0) return null;
  const room = height - 1;
  // With room for one row only, that row (the title gives the count); otherwise the last row says how many more.
  const shown = rows.length > room ? rows.slice(0, room >= 2 ? room - 1 : room) : rows;
  const hidden = rows.length - shown.length;

  const barWidth = Math.max(6, Math.min(20, Math.floor(width * 0.15)));
  const sparkWidth = Math.max(5, Math.min(16, Math.floor(width * 0.12)));
  const stepsWidth = Math.max(...rows.map((r) => `${r.steps}/${r.steps}`.length), 3);
  const workerWidth = Math.min(Math.floor(width / 4), Math.max(...rows.map((r) => where(r).length), 2));
  // worker, label, bar, steps, "loss", sparkline, last loss, with one space between each.
  const labelWidth = Math.max(8, width - (workerWidth + 1 + barWidth + 1 + stepsWidth + 1 + 5 + sparkWidth + 1 + 5) - 1);

  return (
    <Box flexDirection="column" width={width}>
      <SectionTitle width={width} colour={colour} title={`Running · ${rows.length} trial${rows.length === 1 ? '' : 's'}`} />
      {shown.map((row) => {
        const last = row.losses[row.losses.length - 1];
        return (
          <Text key={row.id} wrap="truncate-end">
            {pad(where(row), workerWidth)} {pad(row.label, labelWidth)}{' '}
            <Text color={tint(colour, 'running')}>{bar(row.steps > 0 ? row.step / row.steps : 0, barWidth)}</Text>{' '}
            {pad(`${row.step}/${row.steps}`, stepsWidth, 'right')} loss{' '}
            <Text color={tint(colour, 'soft')}>{pad(sparkline(row.losses, sparkWidth), sparkWidth)}</Text> {pad(num(last, 3), 5)}
          </Text>
        );
      })}
      {hidden > 0 && room >= 2 ? <Text dimColor={colour}>{fit(`  … ${hidden} more running`, width)}</Text> : null}
    </Box>
  );
}
