import type { z } from 'zod';

/** Renders a value the way the user typed it: strings quoted, everything else as JSON. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return String(value);
  }
}

/** `a.b[2].c` for a zod path. */
export function showPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let node: unknown = root;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[part as string];
  }
  return node;
}

/** Edit distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function bound(issue: { inclusive?: boolean }, inclusiveWord: string, exclusiveWord: string): string {
  return issue.inclusive === false ? exclusiveWord : inclusiveWord;
}

/**
 * One zod issue as "what is wrong and what is allowed", without the location (the caller knows whether it
 * is a setting, a flag or a line in a file). `knownKeys` lists the keys allowed where an unknown key was found.
 */
export function describeIssue(issue: z.core.$ZodIssue, root: unknown, knownKeys: readonly string[] = []): {
  path: string;
  message: string;
} {
  const path = showPath(issue.path);
  const got = showValue(valueAt(root, issue.path));
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? '';
      const keyPath = showPath([...issue.path, key]);
      const guess = closest(key, knownKeys);
      const allowed = knownKeys.length ? `; allowed: ${knownKeys.join(', ')}` : '';
      return { path: keyPath, message: `unknown key ${showValue(key)}${guess ? ` (did you mean ${showValue(guess)}?)` : ''}${allowed}` };
    }
    case 'invalid_value':
      return { path, message: `got ${got}; allowed: ${issue.values.map(showValue).join(', ')}` };
    case 'invalid_type':
      if (valueAt(root, issue.path) === undefined) return { path, message: `is required (${issue.expected})` };
      return { path, message: `got ${got}; expected ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}` };
    case 'too_small':
      return { path, message: `got ${got}; must be ${bound(issue, '≥', '>')} ${String(issue.minimum)}` };
    case 'too_big':
      return { path, message: `got ${got}; must be ${bound(issue, '≤', '<')} ${String(issue.maximum)}` };
    case 'not_multiple_of':
      return { path, message: `got ${got}; must be a multiple of ${String(issue.divisor)}` };
    default:
      return { path, message: issue.message.startsWith('got ') ? issue.message : `got ${got}; ${issue.message}` };
  }
}
