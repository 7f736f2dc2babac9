import { Text } from 'ink';
import { fit } from './format.ts';
import { tint } from './theme.ts';

export interface SectionTitleProps {
  width: number;
  colour: boolean;
  title: string;
  /** Shown at the right end of the rule (a key hint). */
  hint?: string;
}

/** `─ Title ─────────── hint ─`: one row that separates sections, readable without colour. */
export function SectionTitle({ width, colour, title, hint }: SectionTitleProps) {
  const head = `─ ${title} `;
  const tail = hint ? ` ${hint} ─` : '';
  const rule = Math.max(0, width - head.length - tail.length);
  const text = rule >= 1 ? head + '─'.repeat(rule) + tail : fit(head + '─'.repeat(Math.max(0, width - head.length)), width);
  return (
    <Text bold={colour} color={tint(colour, 'title')} wrap="truncate-end">
      {text}
    </Text>
  );
}
