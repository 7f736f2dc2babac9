import { Static, Text } from 'ink';
import { duration, fit, num, oneLine } from './format.ts';
import { tint } from './theme.ts';
import type { FinishedEntry } from './view-model.ts';

export interface FinishedLogProps {
  width: number;
  colour: boolean;
  /** Append-only: Ink's <Static> prints each entry once, above the live view, and never again. */
  entries: FinishedEntry[];
}

export function finishedLine(entry: FinishedEntry): string {
  const what = `${entry.label} seed=${entry.seed}`;
  if (entry.status === 'failed') return `✗ ${what}  failed: ${oneLine(entry.error)}`;
  if (entry.status === 'pruned') return `✂ ${what}  pruned at step ${entry.step}: soft ${num(entry.soft)} hard ${num(entry.hard)} gap ${num(entry.gap)}  ${duration(entry.durationMs)}`;
  return `✓ ${what}  soft ${num(entry.soft)} hard ${num(entry.hard)} gap ${num(entry.gap)}  ${duration(entry.durationMs)}`;
}

/** Trials that finished while the dashboard watched, one line each, scrolling up above the live view. */
export function FinishedLog({ width, colour, entries }: FinishedLogProps) {
  return (
    <Static items={entries}>
      {(entry, index) => (
        <Text key={`${index}:${entry.key}`} color={tint(colour, entry.status)}>
          {fit(finishedLine(entry), width)}
        </Text>
      )}
    </Static>
  );
}
