export { summarize, formatSummary, type Summary } from './summary.ts';
