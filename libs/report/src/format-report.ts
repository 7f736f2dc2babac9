/** The report in the format asked for: Markdown (the default), CSV, JSON, or a self-contained HTML page. */
import type { Report } from './build-report.ts';
import { formatCsv } from './format-csv.ts';
import { formatJson } from './format-json.ts';
import { formatMarkdown } from './format-markdown.ts';
import { formatHtml } from './html-report.ts';
import type { ReportFormat } from './report-options.ts';

export function formatReport(report: Report, format: ReportFormat = 'md'): string {
  switch (format) {
    case 'md':
      return formatMarkdown(report);
    case 'csv':
      return formatCsv(report);
    case 'json':
      return formatJson(report);
    case 'html':
      return formatHtml(report);
  }
}
