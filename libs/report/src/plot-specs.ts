/**
 * The report's two plots as Vega-Lite specs:
 * 1. soft vs hard accuracy against the grouping setting (or configuration), mean with 95% CI error bars;
 * 2. hard accuracy and precision over training steps, one line per configuration (the best ones).
 * With two sweeps (compare), each plot gets a panel per sweep.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Field } from 'vega-lite/types_unstable/channeldef.js';
import type { LayerSpec } from 'vega-lite/types_unstable/spec/index.js';
import type { ReportRow, ReportTable } from './aggregate.ts';
import { metricOf } from './aggregate.ts';
import { CURVE_METRICS, type TableCurves } from './curves.ts';
import { compareSettings, showSetting } from '@l2x/store';

/** Groups on the accuracy plot's x axis: the best ones by the sweep's metric, when there are more. */
export const ACCURACY_LIMIT = 20;
/** The accuracy plot's series, in legend order. */
export const ACCURACY_METRICS = ['soft_acc', 'hard_acc'] as const;

/** The symbol and error-bar layers' names: the SVG's mark groups carry them as `<name>_marks` classes. */
export const MARK_NAMES = { means: 'means', intervals: 'intervals', curves: 'curves' } as const;

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const CONFIG = { font: FONT, view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelLimit: 320, titleLimit: 400 } };

/** A panel per sweep when comparing: `sweep tau`. */
const SWEEP_HEADER = { labelExpr: "'sweep ' + datum.label", labelFontSize: 12 };

interface AccuracyDatum {
  sweep: string;
  group: string;
  metric: string;
  mean: number | null;
  low: number | null;
  high: number | null;
  n: number;
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** A row's name on an axis or in a legend: its values (`0.1 · 3 · linear`); the setting names are the title. */
function tick(table: ReportTable, row: ReportRow): string {
  if (table.keySettings.length === 0) return row.label;
  return table.keySettings.map((name) => showSetting(row.key[name] ?? null)).join(' · ');
}

/** `tau`, or `tau · k · anneal` when several settings name a configuration. */
function axisTitle(table: ReportTable): string {
  return table.keySettings.length ? table.keySettings.join(' · ') : 'configuration';
}

/** `sweep tau`, or `sweeps batch vs tokens`. */
function sweepNames(tables: readonly ReportTable[]): string {
  return `${tables.length > 1 ? 'sweeps' : 'sweep'} ${tables.map((t) => t.sweep.name).join(' vs ')}`;
}

export function accuracySpec(tables: readonly ReportTable[], limit = ACCURACY_LIMIT): TopLevelSpec {
  const first = tables[0]!;
  const values: AccuracyDatum[] = [];
  const order: { text: string; row: ReportRow; table: number }[] = [];
  tables.forEach((table, t) => {
    for (const row of table.rows.slice(0, limit)) {
      const text = tick(table, row);
      if (!order.some((o) => o.text === text)) order.push({ text, row, table: t });
      for (const metric of ACCURACY_METRICS) {
        const s = metricOf(row, metric);
        // No interval (one value): no error bar, rather than one of zero length.
        const bar = Number.isFinite(s.ci95);
        values.push({ sweep: table.sweep.name, group: text, metric, mean: finite(s.mean), low: bar ? s.low : null, high: bar ? s.high : null, n: s.n });
      }
    }
  });
  // One setting on the axis: in its own order (0.05, 0.1, 0.2 …). Several: in rank order.
  if (first.keySettings.length === 1) {
    const setting = first.keySettings[0]!;
    order.sort((a, b) => compareSettings(a.row.key[setting] ?? null, b.row.key[setting] ?? null));
  }
  const ticks = order.map((o) => o.text);
  const long = ticks.some((t) => t.length > 8);
  const cut = tables.filter((t) => t.rows.length > limit);
  const subtitle = [
    `mean ± 95% CI over ${first.groupBy ? 'trials' : 'seeds'}`,
    ...cut.map((t) => `${t.sweep.name}: the ${limit} best of ${t.rows.length} by ${t.sweep.metric.name}`),
  ].join('; ');
  const x = {
    field: 'group',
    type: 'ordinal' as const,
    sort: ticks,
    title: axisTitle(first),
    axis: { labelAngle: long ? -40 : 0, labelLimit: 0 },
  };
  const xOffset = { field: 'metric', sort: [...ACCURACY_METRICS] };
  const color = { field: 'metric', type: 'nominal' as const, sort: [...ACCURACY_METRICS], title: null, scale: { range: ['#4c78a8', '#f58518'] } };
  const inner: LayerSpec<Field> = {
    // The step is per point (soft and hard side by side), so a group is two steps wide.
    width: { step: 18 },
    height: 260,
    layer: [
      // Error bars when some row has an interval (a sweep of one seed has none, and an empty extent warns).
      ...(values.some((v) => v.low !== null)
        ? [
            {
              name: MARK_NAMES.intervals,
              mark: { type: 'rule' as const, strokeWidth: 1.5 },
              encoding: { x, xOffset, color, y: { field: 'low', type: 'quantitative' as const }, y2: { field: 'high' } },
            },
          ]
        : []),
      {
        name: MARK_NAMES.means,
        mark: { type: 'point', filled: true, size: 60, opacity: 1 },
        encoding: {
          x,
          xOffset,
          color,
          y: { field: 'mean', type: 'quantitative', title: 'accuracy', scale: { zero: false } },
          tooltip: [{ field: 'sweep' }, { field: 'group', title: axisTitle(first) }, { field: 'metric' }, { field: 'mean', format: '.3f' }, { field: 'n' }],
        },
      },
    ],
  };
  const top = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Soft vs hard accuracy by ${axisTitle(first)} — ${sweepNames(tables)}`, subtitle, anchor: 'start' as const },
    config: CONFIG,
    data: { values },
  };
  if (tables.length === 1) return { ...top, ...inner };
  return { ...top, facet: { column: { field: 'sweep', sort: tables.map((t) => t.sweep.name), title: null, header: SWEEP_HEADER } }, spec: inner };
}

/** The curves plot, or null when no trial recorded a curve. */
export function curvesSpec(tables: readonly ReportTable[], curves: readonly TableCurves[]): TopLevelSpec | null {
  const first = tables[0]!;
  const values = curves.flatMap((c) => {
    const table = tables.find((t) => t.sweep.name === c.sweep) ?? first;
    const names = new Map(table.rows.map((row) => [row.rank, tick(table, row)]));
    return c.points.map((p) => ({ sweep: c.sweep, row: names.get(p.rank) ?? p.row, rank: p.rank, metric: p.metric, step: p.step, mean: p.mean, n: p.n }));
  });
  if (values.length === 0) return null;
  // Legend in rank order, the first sweep's rows first.
  const legend = [...new Set([...values].sort((a, b) => a.rank - b.rank).map((v) => v.row))];
  const cut = curves.filter((c) => c.rows > c.drawn);
  const subtitle = [
    `mean over ${first.groupBy ? 'trials' : 'seeds'} at each evaluation step`,
    ...cut.map((c) => `${c.sweep}: the ${c.drawn} best of ${c.rows} by ${tables.find((t) => t.sweep.name === c.sweep)?.sweep.metric.name ?? 'metric'}`),
  ].join('; ');
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Hard accuracy and precision over training — ${sweepNames(tables)}`, subtitle, anchor: 'start' },
    config: CONFIG,
    data: { values },
    facet: {
      column: { field: 'metric', sort: [...CURVE_METRICS], title: null, header: { labelFontSize: 12 } },
      ...(tables.length > 1 ? { row: { field: 'sweep', sort: tables.map((t) => t.sweep.name), title: null, header: SWEEP_HEADER } } : {}),
    },
    spec: {
      width: 280,
      height: 200,
      layer: [
        {
          name: MARK_NAMES.curves,
          mark: { type: 'line', strokeWidth: 1.5 },
          encoding: {
            x: { field: 'step', type: 'quantitative', title: 'training step' },
            y: { field: 'mean', type: 'quantitative', title: null, scale: { zero: false } },
            color: { field: 'row', type: 'nominal', sort: legend, title: axisTitle(first), scale: { scheme: 'tableau10' } },
            tooltip: [{ field: 'row' }, { field: 'step' }, { field: 'mean', format: '.3f' }, { field: 'n' }],
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
  return spec;
}
