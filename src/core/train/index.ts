/**
 * Fine-tuning: the method registry (what a training method is and which exist) and the job queue that runs them.
 * Others use training through this face.
 */
export { createJobs, trainHandlers, type Jobs, type JobsOptions } from './jobs/index.ts';
export { createMethodRegistry, defineMethod, MAIN_ROLE, methods, type MethodRegistry, type MethodSpec, type TrainConfig, type TrainSample } from './methods/index.ts';
