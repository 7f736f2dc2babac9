import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UserError, isUserError } from './user-error.ts';
import { closest, describeIssue, showPath, showValue } from './zod-issue.ts';

const schema = z.strictObject({ k: z.int().min(1).max(8), mode: z.enum(['a', 'b']), tau: z.number().positive(), list: z.array(z.number()) });

function firstIssue(input: unknown) {
  const result = schema.safeParse(input);
  if (result.success) throw new Error('expected a failure');
  return describeIssue(result.error.issues[0]!, input, Object.keys(schema.shape));
}

describe('describeIssue', () => {
  it('says the bad value and the allowed range', () => {
    expect(firstIssue({ k: 9, mode: 'a', tau: 1, list: [] })).toEqual({ path: 'k', message: 'got 9; must be ≤ 8' });
    expect(firstIssue({ k: 1, mode: 'a', tau: 0, list: [] })).toEqual({ path: 'tau', message: 'got 0; must be > 0' });
  });

  it('lists the allowed names of an enum', () => {
    expect(firstIssue({ k: 1, mode: 'c', tau: 1, list: [] })).toEqual({ path: 'mode', message: 'got "c"; allowed: "a", "b"' });
  });

  it('names an unknown key, guesses the intended one and lists the known ones', () => {
    expect(firstIssue({ k: 1, mode: 'a', tua: 1, tau: 1, list: [] })).toEqual({
      path: 'tua',
      message: 'unknown key "tua" (did you mean "tau"?); allowed: k, mode, tau, list',
    });
  });

  it('tells a missing value from a value of the wrong type, with the element path', () => {
    expect(firstIssue({ mode: 'a', tau: 1, list: [] })).toEqual({ path: 'k', message: 'is required (number)' });
    expect(firstIssue({ k: 1, mode: 'a', tau: 1, list: [1, 'x'] })).toEqual({ path: 'list[1]', message: 'got "x"; expected a number' });
  });
});

describe('helpers', () => {
  it('shows values and paths as the user typed them', () => {
    expect(showValue('x')).toBe('"x"');
    expect(showValue(undefined)).toBe('nothing');
    expect(showValue(Infinity)).toBe('Infinity');
    expect(showPath(['parameters', 'tau', 'values', 2])).toBe('parameters.tau.values[2]');
  });

  it('suggests only close names', () => {
    expect(closest('lerning', ['lr', 'learning', 'layers'])).toBe('learning');
    expect(closest('zzzz', ['tau', 'k'])).toBeUndefined();
  });

  it('marks user errors apart from bugs', () => {
    expect(isUserError(new UserError('bad'))).toBe(true);
    expect(new UserError('bad').exitCode).toBe(2);
    expect(isUserError(new Error('bug'))).toBe(false);
  });
});
