import { Box, Text } from 'ink';
import { fit, oneLine } from './format.ts';
import { SectionTitle } from './SectionTitle.tsx';
import { tint } from './theme.ts';

export interface FailedRow {
  key: string;
  /** Swept settings and seed, `tau=0.2 seed=1`. */
  label: string;
  error: string | null;
}

export interface FailedTrialsProps {
  width: number;
  colour: boolean;
  rows: FailedRow[];
  /** Rows of screen this section may take, its title included. */
  height: number;
}

/** Failed trials, each with the first line of its error. */
export function FailedTrials({ width, colour, rows, height }: FailedTrialsProps) {
  if (height <= 0 || rows.length === 0) return null;
  const room = height - 1;
  // With room for one row only, that row (the title gives the count); otherwise the last row says how many more.
  const shown = rows.length > room ? rows.slice(0, room >= 2 ? room - 1 : room) : rows;
  const hidden = rows.length - shown.length;
  return (
    <Box flexDirection="column" width={width}>
      <SectionTitle width={width} colour={colour} title={`Failed · ${rows.length} trial${rows.length === 1 ? '' : 's'}`} hint="retry: --retry-failed" />
      {shown.map((row) => (
        <Text key={row.key} wrap="truncate-end">
          <Text color={tint(colour, 'failed')}>✗ {row.label}</Text>
          {fit(`  ${oneLine(row.error)}`, Math.max(0, width - row.label.length - 2))}
        </Text>
      ))}
      {hidden > 0 && room >= 2 ? <Text dimColor={colour}>{fit(`  … ${hidden} more failed`, width)}</Text> : null}
    </Box>
  );
}
