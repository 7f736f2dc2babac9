export { summarize, summarizeMoments, momentsOf, poolMoments, NO_MOMENTS, formatSummary, type Summary, type Moments } from './summary.ts';
