import { describe, expect, it } from 'vitest';
import { summarize } from '@l2x/stats';
import { apportion, bar, duration, fit, meanCi, oneLine, pad, pairBarText, settingsLabel, sparkline } from './format.ts';
import { showSetting } from '@l2x/store';

describe('format', () => {
  it('fits and pads text to a width', () => {
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('abc', 4)).toBe('abc');
    expect(fit('abc', 0)).toBe('');
    expect(pad('ab', 4)).toBe('ab  ');
    expect(pad('ab', 4, 'right')).toBe('  ab');
    expect(pad('abcdef', 4, 'right')).toBe('abc…');
  });

  it('draws bars with eighth-column resolution', () => {
    expect(bar(0.5, 10)).toBe('█████░░░░░');
    expect(bar(1, 4)).toBe('████');
    expect(bar(0, 4)).toBe('░░░░');
    expect(bar(0.0625, 4)).toBe('▎░░░');
    expect(bar(NaN, 3)).toBe('░░░');
    expect(bar(2, 3)).toBe('███');
  });

  it('draws a sparkline of the last values between their min and max', () => {
    expect(sparkline([1, 0.5, 0], 8)).toBe('█▅▁');
    expect(sparkline([3, 3, 3], 8)).toBe('▁▁▁');
    expect(sparkline([9, 1, 0.5, 0], 3)).toBe('█▅▁');
    expect(sparkline([], 5)).toBe('');
  });

  it('apportions columns in proportion, keeping small non-zero parts visible', () => {
    expect(apportion([1, 1], 10)).toEqual([5, 5]);
    expect(apportion([998, 1, 1, 0], 20)).toEqual([18, 1, 1, 0]);
    expect(apportion([0, 0], 10)).toEqual([0, 0]);
    expect(apportion([3, 2, 1], 7).reduce((a, b) => a + b)).toBe(7);
  });

  it('draws soft and hard as a pair of bars on one axis, the gap as the ▀ tail', () => {
    expect(pairBarText(0.9, 0.7, 0.5, 1, 10)).toBe('████▀▀▀▀  ');
    expect(pairBarText(0.7, 0.9, 0.5, 1, 10)).toBe('████▄▄▄▄  ');
    expect(pairBarText(NaN, NaN, 0, 1, 4)).toBe('    ');
  });

  it('formats means with their confidence interval, durations and settings', () => {
    expect(meanCi(summarize([0.8, 0.9, 1.0]))).toBe('0.900±0.248');
    expect(meanCi(summarize([0.8]), 2)).toBe('0.80');
    expect(meanCi(summarize([0.8, 0.9, 1.0]), 2, false)).toBe('0.90');
    expect(meanCi(summarize([]))).toBe('–');
    expect(duration(192_000)).toBe('3m 12s');
    expect(duration(undefined)).toBe('–');
    expect(duration(400)).toBe('0s');
    expect(settingsLabel({ tau: 0.1, anneal: 'linear' }, ['tau', 'anneal'])).toBe('tau=0.1 anneal=linear');
    expect(showSetting(0.30000000000000004)).toBe('0.3');
    expect(showSetting(null)).toBe('–');
    expect(oneLine('\n  loss became NaN\n  at step 12')).toBe('loss became NaN');
    expect(oneLine(null)).toBe('(no message)');
  });
});
