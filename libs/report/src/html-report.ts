/**
 * The report as one self-contained HTML page that works offline: the ranked table(s), then interactive
 * Vega-Lite plots (hover shows the configuration): soft vs hard accuracy by setting, the training curves, and
 * for a random or bayes sweep a parallel-coordinates view of the swept settings against the sweep's metric.
 * vega, vega-lite and vega-embed are inlined from node_modules: the page fetches nothing.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { parse as parseYaml } from 'yaml';
import { formatSummary } from '@l2x/stats';
import { compareSettings, describeKey, showSetting, type SettingValue } from '@l2x/store';
import { describeCounts, metricOf, type ReportTable } from './aggregate.ts';
import type { Report } from './build-report.ts';
import { accuracySpec, curvesSpec } from './plot-specs.ts';
import { historySpec } from './search-history.ts';

/** The mark group a parallel-coordinates line is drawn in (an SVG `<g class="parallel_marks">`). */
export const PARALLEL_MARKS = 'parallel';

const require = createRequire(import.meta.url);

/** A library's minified browser build, next to the entry point its package exports. */
function browserBuild(pkg: string, file: string): string {
  return readFileSync(join(dirname(require.resolve(pkg)), file), 'utf8');
}

let scripts: string | undefined;
/** vega, vega-lite, vega-embed as inline scripts (read once per process). */
function inlineScripts(): string {
  scripts ??= [
    browserBuild('vega', 'vega.min.js'),
    browserBuild('vega-lite', 'vega-lite.min.js'),
    browserBuild('vega-embed', 'vega-embed.min.js'),
  ]
    // A `</script` inside the code would end the element early.
    .map((code) => `<script>${code.replace(/<\/script/gi, '<\\/script')}</script>`)
    .join('\n');
  return scripts;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The sweep file's `method` (grid, random, bayes, …), as it was read. */
export function sweepMethod(table: ReportTable): string | undefined {
  try {
    const file = parseYaml(table.sweep.configText) as { method?: unknown } | null;
    return typeof file?.method === 'string' ? file.method : undefined;
  } catch {
    return undefined;
  }
}

/** Where a value sits on its axis, 0..1: numbers by value (log scale when they span two decades), text in sort order. */
function axisPosition(values: readonly SettingValue[]): (value: SettingValue) => number {
  const distinct = [...new Set(values)].sort(compareSettings);
  const numbers = distinct.filter((v): v is number => typeof v === 'number');
  if (numbers.length === distinct.length && numbers.length > 1) {
    const log = numbers[0]! > 0 && numbers.at(-1)! / numbers[0]! >= 100;
    const f = (v: number) => (log ? Math.log10(v) : v);
    const lo = f(numbers[0]!);
    const span = f(numbers.at(-1)!) - lo;
    return (v) => (typeof v === 'number' && span > 0 ? (f(v) - lo) / span : 0.5);
  }
  return (v) => (distinct.length > 1 ? distinct.indexOf(v) / (distinct.length - 1) : 0.5);
}

/** One line per configuration across the swept settings, the sweep's metric as the last axis and the colour. */
export function parallelSpec(table: ReportTable): TopLevelSpec {
  const metric = table.sweep.metric.name;
  const axes = [...table.keySettings, metric];
  const position = new Map(table.keySettings.map((name) => [name, axisPosition(table.rows.map((r) => r.key[name] ?? null))]));
  const metricAt = axisPosition(table.rows.map((r) => metricOf(r, metric).mean).filter(Number.isFinite));
  const values = table.rows.flatMap((row) => {
    const mean = metricOf(row, metric).mean;
    const configuration = describeKey(row.key, table.keySettings);
    return axes.map((axis) => ({
      configuration,
      rank: row.rank,
      axis,
      position: axis === metric ? (Number.isFinite(mean) ? metricAt(mean) : null) : position.get(axis)!(row.key[axis] ?? null),
      value: axis === metric ? (Number.isFinite(mean) ? mean.toFixed(3) : '–') : showSetting(row.key[axis] ?? null),
      [metric]: Number.isFinite(mean) ? mean : null,
    }));
  });
  const goal = table.sweep.metric.goal === 'maximize' ? 'higher is better' : 'lower is better';
  const tooltip = [{ field: 'rank' }, { field: 'configuration' }, { field: metric, format: '.3f' }];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Settings against ${metric} — sweep ${table.sweep.name}`, subtitle: `one line per configuration; ${metric}: mean over seeds, ${goal}`, anchor: 'start' },
    data: { values },
    width: Math.max(360, 120 * axes.length),
    height: 280,
    encoding: {
      x: { field: 'axis', type: 'ordinal', sort: axes, title: null, axis: { labelAngle: 0, domain: false, grid: true, ticks: false } },
      y: { field: 'position', type: 'quantitative', axis: null, scale: { domain: [0, 1] } },
    },
    layer: [
      {
        name: PARALLEL_MARKS,
        mark: { type: 'line', strokeWidth: 1.5, opacity: 0.8 },
        encoding: {
          detail: { field: 'rank', type: 'nominal' },
          color: { field: metric, type: 'quantitative', scale: { scheme: 'viridis', reverse: table.sweep.metric.goal === 'minimize' } },
          tooltip,
        },
      },
      {
        mark: { type: 'point', filled: true, size: 30 },
        encoding: {
          color: { field: metric, type: 'quantitative' },
          tooltip: [...tooltip, { field: 'axis', title: 'axis' }, { field: 'value', title: 'value' }],
        },
      },
    ],
  };
}

/** A table's ranked rows; each row's title (hover) is its configuration. */
function tableHtml(table: ReportTable): string {
  const head = ['rank', ...table.keySettings, ...(table.groupBy ? ['configs'] : []), 'n', ...table.metrics];
  const rows = table.rows.map((row) => {
    const cells = [
      String(row.rank),
      ...table.keySettings.map((name) => showSetting(row.key[name] ?? null)),
      ...(table.groupBy ? [String(row.configKeys.length)] : []),
      String(row.n),
      ...table.metrics.map((m) => formatSummary(metricOf(row, m))),
    ];
    return `<tr class="configuration" title="${escapeHtml(row.label)}">${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  const state = [
    `${table.sweep.metric.name} (${table.sweep.metric.goal})`,
    `${table.counts.completed} of ${table.counts.total} trials completed${describeCounts(table.counts) ? ` (${describeCounts(table.counts)})` : ''}`,
    table.groupBy ? `grouped by ${table.groupBy}` : `${table.rows.length} configurations`,
  ].join(' · ');
  return [
    `<h2>Sweep ${escapeHtml(table.sweep.name)}</h2>`,
    `<p class="state">${escapeHtml(state)}</p>`,
    ...table.notes.map((note) => `<p class="note">${escapeHtml(note)}</p>`),
    `<table class="ranked" data-sweep="${escapeHtml(table.sweep.name)}">`,
    `<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    `<tbody>\n${rows.join('\n')}\n</tbody></table>`,
    '<p class="legend">Cells: mean ± half-width of the 95% confidence interval (Student t) over the completed trials.</p>',
  ].join('\n');
}

/** The search plot (metric by trial with the best so far, and by each swept setting) of a single bayes sweep with results. */
export function searchSpec(report: Report): TopLevelSpec | null {
  return report.history && !report.comparison && sweepMethod(report.tables[0]) === 'bayes' ? historySpec(report.history) : null;
}

/** The plots of a report, by element id. */
export function htmlSpecs(report: Report): Record<string, TopLevelSpec> {
  const specs: Record<string, TopLevelSpec> = { accuracy: accuracySpec(report.tables) };
  const curves = curvesSpec(report.tables, report.curves);
  if (curves) specs.curves = curves;
  report.tables.forEach((table, i) => {
    const method = sweepMethod(table);
    if (method !== undefined && method !== 'grid' && table.keySettings.length > 0 && !table.groupBy) specs[`parallel-${i}`] = parallelSpec(table);
  });
  const search = searchSpec(report);
  if (search) specs.search = search;
  return specs;
}

const STYLE = `
body { font: 14px/1.45 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
table.ranked { border-collapse: collapse; margin: 0.5em 0; }
table.ranked th, table.ranked td { padding: 2px 10px; border-bottom: 1px solid #e4e4e4; text-align: right; white-space: nowrap; }
table.ranked tbody tr:hover { background: #f2f6fb; }
.note, .legend { color: #666; }
.plot { margin: 1.5em 0; }
`;

/** The whole page. */
export function formatHtml(report: Report): string {
  const specs = htmlSpecs(report);
  const title = `Report: ${report.tables.map((t) => t.sweep.name).join(' vs ')}`;
  const plots = Object.keys(specs).map((id) => `<div class="plot" id="${id}"></div>`);
  // JSON in a script element: `<` escaped so that no string in the data can close it.
  const data = JSON.stringify(specs).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
${inlineScripts()}
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${report.tables.map(tableHtml).join('\n')}
<h2>Plots</h2>
<p class="legend">Hover a point or a line to see its configuration.</p>
${plots.join('\n')}
<script type="application/json" id="specs">${data}</script>
<script>
const specs = JSON.parse(document.getElementById('specs').textContent);
window.reportViews = {};
window.reportReady = Promise.all(Object.entries(specs).map(([id, spec]) =>
  vegaEmbed('#' + id, spec, { actions: false, renderer: 'svg' }).then((result) => { window.reportViews[id] = result.view; })));
</script>
</body>
</html>
`;
}
