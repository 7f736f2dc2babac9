export { runSweep, type RunOptions, type RunSummary, type RunnerEvent } from './sweep-runner.ts';
export { planResources, detectGpus, detectCudaDevices, visibleCudaDevices, autoCpuWorkers, type GpuInventory, type CudaDevice, type ResourcePlan, type WorkerSlot } from './resources.ts';
export { planJobs, type Job } from './jobs.ts';
export type { ParentMessage, WorkerMessage, JobTrial } from './protocol.ts';
export { askNext, judge, observationsOf, sweepPruner } from './search.ts';
