/**
 * The report as files: the plots (SVG and PNG), the table as CSV and JSON, an index.md that holds the
 * Markdown report and embeds the plots, and index.html, the same as one interactive page. Written to `results/reports/<sweep>/` unless told otherwise.
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '@l2x/errors';
import type { Report } from './build-report.ts';
import { formatCsv } from './format-csv.ts';
import { formatJson } from './format-json.ts';
import { formatMarkdown } from './format-markdown.ts';
import { formatHtml } from './html-report.ts';
import { accuracySpec, curvesSpec } from './plot-specs.ts';
import { renderPngAsync, renderSvg } from './render-plot.ts';
import { searchSpec } from './html-report.ts';

export interface RenderedPlot {
  svg: string;
  png: Buffer;
}

export interface ReportPlots {
  accuracy: RenderedPlot;
  /** Null when no trial recorded a curve. */
  curves: RenderedPlot | null;
  /** A bayes sweep's search: metric by trial with the best so far, and by each swept setting; null for other sweeps. */
  search: RenderedPlot | null;
}

/** Both plots: each PNG is rasterized off the main thread while Vega draws the next SVG. */
export async function renderPlots(report: Report): Promise<ReportPlots> {
  const curves = curvesSpec(report.tables, report.curves);
  const accuracySvg = await renderSvg(accuracySpec(report.tables));
  const accuracyPng = renderPngAsync(accuracySvg);
  const curvesSvg = curves ? await renderSvg(curves) : null;
  const curvesPng = curvesSvg ? renderPngAsync(curvesSvg) : null;
  const search = searchSpec(report);
  const searchSvg = search ? await renderSvg(search) : null;
  return {
    accuracy: { svg: accuracySvg, png: await accuracyPng },
    curves: curvesSvg && curvesPng ? { svg: curvesSvg, png: await curvesPng } : null,
    search: searchSvg ? { svg: searchSvg, png: await renderPngAsync(searchSvg) } : null,
  };
}

/** The folder a report goes to by default, relative to the workspace: `results/reports/<sweep>` (`<a>-vs-<b>` compared). */
export function defaultReportDir(report: Report): string {
  return join('results', 'reports', report.tables.map((t) => t.sweep.name.replace(/[^\w.-]+/g, '_')).join('-vs-'));
}

/** index.md: the Markdown report, then the plots it embeds and the other files. */
export function indexMarkdown(report: Report, plots: ReportPlots, command?: string): string {
  const grouping = report.tables[0].groupBy ?? (report.tables[0].keySettings.length === 1 ? report.tables[0].keySettings[0] : 'configuration');
  const lines = [
    formatMarkdown(report).trimEnd(),
    '',
    '## Plots',
    '',
    `### Soft vs hard accuracy by ${grouping}`,
    '',
    `![Soft vs hard accuracy by ${grouping}: mean and 95% confidence interval](accuracy.svg)`,
    '',
    '[PNG](accuracy.png)',
    '',
    '### Hard accuracy and precision over training',
    '',
    ...(plots.curves
      ? ['![Hard accuracy and precision at each evaluation step, one line per row of the table](curves.svg)', '', '[PNG](curves.png)']
      : ['No trial recorded training curves (metric points), so there is no curves plot.']),
    ...(plots.search
      ? ['', '### The search', '', `![${report.tables[0].sweep.metric.name} by trial with the best so far, and by each swept setting](search.svg)`, '', '[PNG](search.png)']
      : []),
    '',
    '## Files',
    '',
    '- [index.html](index.html): this report as one page that works offline, with interactive plots (hover shows the configuration)',
    '- [summary.csv](summary.csv): the table for scripts (mean, std, ci95, low, high per metric)',
    '- [summary.json](summary.json): the same with the sweep state and notes',
    ...(command ? ['', `Made with \`${command}\`.`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

export interface WrittenReport {
  dir: string;
  /** File names written in `dir`. */
  files: string[];
}

/** Writes index.md, the plots and the table files into `dir` (created when missing). */
export async function writeReport(report: Report, dir: string, options: { command?: string; plots?: ReportPlots } = {}): Promise<WrittenReport> {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UserError(`--out ${dir} is a file; give a folder for the report`);
  const plots = options.plots ?? (await renderPlots(report));
  const files: Record<string, string | Buffer> = {
    'index.md': indexMarkdown(report, plots, options.command),
    'index.html': formatHtml(report),
    'accuracy.svg': plots.accuracy.svg,
    'accuracy.png': plots.accuracy.png,
    ...(plots.curves ? { 'curves.svg': plots.curves.svg, 'curves.png': plots.curves.png } : {}),
    ...(plots.search ? { 'search.svg': plots.search.svg, 'search.png': plots.search.png } : {}),
    'summary.csv': formatCsv(report),
    'summary.json': formatJson(report),
  };
  try {
    mkdirSync(dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    // A curves plot from an earlier report would no longer match index.md.
    if (!plots.curves) for (const name of ['curves.svg', 'curves.png']) rmSync(join(dir, name), { force: true });
    if (!plots.search) for (const name of ['search.svg', 'search.png']) rmSync(join(dir, name), { force: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR' || code === 'EROFS' || code === 'EEXIST')
      throw new UserError(`cannot write the report to ${dir}: ${(error as Error).message}; give --out a folder you can write to`, { cause: error });
    throw error;
  }
  return { dir, files: Object.keys(files) };
}
