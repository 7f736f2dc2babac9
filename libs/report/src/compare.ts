/**
 * Two sweeps' tables side by side (`--compare`): rows matched on the same key settings (for example the same
 * tau in the notebook's `attention: batch` sweep and in its `attention: tokens` sweep).
 */
import type { ReportRow, ReportTable } from './aggregate.ts';
import { compareKeys, keyId } from '@l2x/store';

export interface ComparisonRow {
  key: ReportRow['key'];
  label: string;
  /** The row of each sweep with this key (null when that sweep has none), in the order of Comparison.tables. */
  rows: [ReportRow | null, ReportRow | null];
}

export interface Comparison {
  tables: [ReportTable, ReportTable];
  /** The settings rows are matched on (the same in both tables). */
  keySettings: string[];
  /** In the first sweep's rank order, then rows only the second sweep has, in its rank order. */
  rows: ComparisonRow[];
}

export function compareTables(first: ReportTable, second: ReportTable): Comparison {
  if (first.keySettings.join('\0') !== second.keySettings.join('\0'))
    throw new Error('bug: compared tables must have the same key settings');
  const keySettings = first.keySettings;
  const byKey = new Map<string, ComparisonRow>();
  const add = (row: ReportRow, side: 0 | 1) => {
    const id = keyId(row.key, keySettings);
    let entry = byKey.get(id);
    if (!entry) {
      entry = { key: row.key, label: row.label, rows: [null, null] };
      byKey.set(id, entry);
    }
    entry.rows[side] = row;
  };
  first.rows.forEach((row) => add(row, 0));
  second.rows.forEach((row) => add(row, 1));
  const rows = [...byKey.values()].sort((a, b) => {
    const [a0, a1] = a.rows;
    const [b0, b1] = b.rows;
    if (a0 && b0) return a0.rank - b0.rank;
    if (a0 || b0) return a0 ? -1 : 1;
    return (a1?.rank ?? 0) - (b1?.rank ?? 0) || compareKeys(a.key, b.key, keySettings);
  });
  return { tables: [first, second], keySettings, rows };
}
