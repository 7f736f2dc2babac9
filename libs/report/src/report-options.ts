/**
 * Checks of what the user asks a report for, each failure a one-line UserError naming the option, the bad value
 * and what is allowed.
 */
import { UserError, closest } from '@l2x/errors';
import type { SweepRecord } from '@l2x/store';
import { REPORT_SETTINGS, isReportSetting } from './report-reader.ts';

export const REPORT_FORMATS = ['md', 'csv', 'json', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** `--format`: md, csv, json or html. */
export function parseFormat(value: string): ReportFormat {
  if ((REPORT_FORMATS as readonly string[]).includes(value)) return value as ReportFormat;
  throw new UserError(`unknown --format ${JSON.stringify(value)}; allowed: ${REPORT_FORMATS.join(', ')}`);
}

/** `--by`: any setting but the seed (the intervals are over seeds); the message lists the swept ones first. */
export function checkGroupBy(by: string, sweeps: readonly SweepRecord[]): string {
  const swept = [...new Set(sweeps.flatMap((s) => s.swept))].filter(isReportSetting);
  const where = sweeps.map((s) => JSON.stringify(s.name)).join(' and ');
  const allowed = `swept in ${where}: ${swept.join(', ') || 'none'}; any setting: ${REPORT_SETTINGS.join(', ')}`;
  if (by === 'seed') throw new UserError(`--by seed: the intervals are over seeds, so the report cannot group by it; ${allowed}`);
  if (isReportSetting(by)) return by;
  const guess = closest(by, swept) ?? closest(by, REPORT_SETTINGS);
  throw new UserError(`unknown setting ${JSON.stringify(by)} for --by${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ''}; ${allowed}`);
}
