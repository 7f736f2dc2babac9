export { runSweep, joinSweep, type RunOptions, type JoinOptions, type RunSummary, type RunnerEvent } from './sweep-runner.ts';
export { planResources, detectGpus, visibleCudaDevices, autoCpuWorkers, type GpuInventory, type CudaDevice, type ResourcePlan, type WorkerSlot, type PackBudget } from './resources.ts';
export { planJobs, autoPackSize, type Job } from './jobs.ts';
export type { ParentMessage, WorkerMessage, JobTrial } from './protocol.ts';
export { askNext, judge, observationsOf, sweepPruner } from './search.ts';
