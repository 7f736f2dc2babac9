/**
 * The report as Markdown: what a terminal shows by default and what index.md holds above its plots.
 * A heading, each sweep's state (and any note: still running, failed trials left out), the best row, the table.
 */
import type { MetricName } from '@l2x/model/config';
import { formatSummary } from '@l2x/stats';
import { metricOf, type ReportRow, type ReportTable } from './aggregate.ts';
import type { Report } from './build-report.ts';
import type { SearchHistory } from './search-history.ts';
import type { Comparison } from './compare.ts';
import { describeKey, showSetting } from '@l2x/store';

function cell(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** A Markdown table; `right` marks the columns aligned right (numbers). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[] = []): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `| ${header.map((_, i) => (right[i] ? '---:' : '---')).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function isNumeric(table: ReportTable, setting: string): boolean {
  return table.rows.every((row) => typeof row.key[setting] === 'number' || row.key[setting] === null);
}

function goalWord(table: ReportTable): string {
  return table.sweep.metric.goal === 'maximize' ? 'higher is better' : 'lower is better';
}

/** `hard_acc (maximize) · 12 of 20 trials completed · 5 configurations` */
function stateLine(table: ReportTable): string {
  const { counts, sweep, configurations } = table;
  const parts = [
    `metric **${sweep.metric.name}** (${sweep.metric.goal})`,
    `${counts.completed} of ${counts.total} trials completed${counts.pruned ? `, ${counts.pruned} pruned` : ''}`,
    `${configurations.total} configuration${configurations.total === 1 ? '' : 's'}`,
    table.groupBy ? `grouped by **${table.groupBy}** (n counts trials: seeds × configurations)` : 'one row per configuration (n counts seeds)',
  ];
  return parts.join(' · ');
}

function bestLine(table: ReportTable): string {
  const { best, sweep } = table;
  const metric = sweep.metric.name;
  const what = table.groupBy ? `Best ${table.groupBy}` : 'Best configuration';
  const name = table.groupBy ? showSetting(best.key[table.groupBy] ?? null) : best.label;
  const over = table.groupBy ? `n = ${best.n} trials over ${best.configKeys.length} configuration${best.configKeys.length === 1 ? '' : 's'}` : `n = ${best.n}`;
  let line = `**${what}: ${name}** — ${metric} ${formatSummary(metricOf(best, metric))} (${over})`;
  const runnerUp = table.rows[1];
  if (runnerUp && table.bestOverlapsRunnerUp === true)
    line += `; its 95% interval overlaps the runner-up's (${runnerUp.label}: ${formatSummary(metricOf(runnerUp, metric))}), so more seeds would be needed to tell them apart`;
  else if (runnerUp && table.bestOverlapsRunnerUp === false) line += `; clear of the runner-up's interval (${runnerUp.label})`;
  return line;
}

function notesBlock(table: ReportTable): string[] {
  return table.notes.map((note, i) => `> ${i === 0 && table.partial ? '**Partial:** ' : ''}${note}`);
}

const FOOTNOTE =
  'Cells: mean ± half-width of the 95% confidence interval (Student t, n − 1 degrees of freedom) over the completed trials; ' +
  'a cell without ± has a single value. Failed, pruned, queued and running trials are left out.';

function sweepTable(table: ReportTable): string {
  const header = ['rank', ...table.keySettings, ...(table.groupBy ? ['configs'] : []), 'n', ...table.metrics];
  const right = [true, ...table.keySettings.map((s) => isNumeric(table, s)), ...(table.groupBy ? [true] : []), true, ...table.metrics.map(() => false)];
  const rows = table.rows.map((row) => [
    String(row.rank),
    ...table.keySettings.map((s) => showSetting(row.key[s] ?? null)),
    ...(table.groupBy ? [String(row.configKeys.length)] : []),
    String(row.n),
    ...table.metrics.map((m) => formatSummary(metricOf(row, m))),
  ]);
  return markdownTable(header, rows, right);
}

function single(table: ReportTable): string {
  return [
    `# Sweep \`${table.sweep.name}\`${table.groupBy ? ` by ${table.groupBy}` : ''}`,
    '',
    stateLine(table),
    ...(table.notes.length ? ['', ...notesBlock(table)] : []),
    '',
    bestLine(table),
    '',
    sweepTable(table),
    '',
    `Ranked by ${table.sweep.metric.name} (${goalWord(table)}). ${FOOTNOTE}`,
  ].join('\n');
}

/** The metrics a comparison shows: the first sweep's, then any other the second one ranks by. */
export function comparisonMetrics(comparison: Comparison): MetricName[] {
  return [...new Set([...comparison.tables[0].metrics, ...comparison.tables[1].metrics])];
}

function side(row: ReportRow | null, metric: MetricName): string {
  return row ? formatSummary(metricOf(row, metric)) : '–';
}

function compared(comparison: Comparison): string {
  const [a, b] = comparison.tables;
  const names = [a.sweep.name, b.sweep.name];
  const metrics = comparisonMetrics(comparison);
  const header = [
    ...comparison.keySettings,
    ...names.map((n) => `n (${n})`),
    ...metrics.flatMap((m) => names.map((n) => `${m} (${n})`)),
  ];
  const right = [...comparison.keySettings.map((s) => isNumeric(a, s) && isNumeric(b, s)), true, true, ...metrics.flatMap(() => [false, false])];
  const rows = comparison.rows.map((row) => [
    ...comparison.keySettings.map((s) => showSetting(row.key[s] ?? null)),
    ...row.rows.map((r) => (r ? String(r.n) : '0')),
    ...metrics.flatMap((m) => row.rows.map((r) => side(r, m))),
  ]);
  const perSweep = comparison.tables.flatMap((table) => [
    '',
    `## \`${table.sweep.name}\``,
    '',
    stateLine(table),
    ...(table.notes.length ? ['', ...notesBlock(table)] : []),
    '',
    bestLine(table),
  ]);
  const by = a.groupBy ? ` by ${a.groupBy}` : '';
  return [
    `# Sweeps \`${names[0]}\` and \`${names[1]}\` side by side${by}`,
    ...perSweep,
    '',
    '## Side by side',
    '',
    markdownTable(header, rows, right),
    '',
    `Rows in \`${names[0]}\`'s rank order (by ${a.sweep.metric.name}); – where a sweep has no such ${a.groupBy ?? 'configuration'}. ${FOOTNOTE}`,
  ].join('\n');
}

/** The trials early termination stopped: not in the table (it aggregates completed trials), listed here apart. */
function prunedSection(history: SearchHistory): string {
  if (history.pruned.length === 0) return '';
  const { sweep } = history;
  const rows = history.pruned.map((p) => [String(p.trial), describeKey(p.params, sweep.swept), String(p.step), p.value === null ? '–' : p.value.toFixed(3)]);
  return [
    '',
    '',
    `## Pruned trials (${history.pruned.length})`,
    '',
    'Stopped early by the sweep\'s `early_terminate`; their curves end at the step they reached.',
    '',
    markdownTable(['trial', 'settings', 'stopped at step', `${sweep.metric.name} there`], rows, [true, false, true, true]),
  ].join('\n');
}

/** The report as a Markdown document (no plots: index.md adds them). */
export function formatMarkdown(report: Report): string {
  const body = report.comparison ? compared(report.comparison) : single(report.tables[0]);
  return `${body}${report.history ? prunedSection(report.history) : ''}\n`;
}
