/**
 * Colours of the dashboard. Every component takes `colour: boolean` and asks `tint` for a colour name, so that with
 * colour off (NO_COLOR, or a terminal without colours) not one escape code of style is written.
 */
export const COLOURS = {
  soft: 'cyan',
  hard: 'magenta',
  completed: 'green',
  failed: 'red',
  pruned: 'blue',
  running: 'yellow',
  queued: 'gray',
  title: 'blue',
  selected: 'cyan',
} as const;

export type ColourRole = keyof typeof COLOURS;

export function tint(colour: boolean, role: ColourRole): string | undefined {
  return colour ? COLOURS[role] : undefined;
}

/**
 * Whether to colour: never when NO_COLOR is set to anything (no-color.org), otherwise when the output stream
 * says it has colours (Node's `hasColors` also honours FORCE_COLOR and TERM=dumb).
 */
export function supportsColour(stream: { hasColors?: (count?: number) => boolean; isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (typeof stream.hasColors === 'function') return stream.hasColors();
  return false;
}
