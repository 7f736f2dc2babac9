import { Text } from 'ink';
import { fit } from './format.ts';
import { tint } from './theme.ts';

export interface FooterProps {
  width: number;
  colour: boolean;
  /** A problem reading the database, shown instead of the key help. */
  problem?: string;
}

/** The keys, or what went wrong with the last read. */
export function Footer({ width, colour, problem }: FooterProps) {
  if (problem)
    return (
      <Text color={tint(colour, 'failed')} wrap="truncate-end">
        {fit(`! ${problem}`, width)}
      </Text>
    );
  return (
    <Text dimColor={colour} wrap="truncate-end">
      {fit('↑/↓ move · tab group by · s sort · q quit', width)}
    </Text>
  );
}
