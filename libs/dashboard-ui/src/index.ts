export { Dashboard, type DashboardProps } from './Dashboard.tsx';
export { startDashboard, type StartDashboardOptions, type DashboardHandle } from './start-dashboard.tsx';
export { SweepSource, readSnapshot, readConfigs, type SourceState, type PollResult } from './sweep-source.ts';
export * from './view-model.ts';
