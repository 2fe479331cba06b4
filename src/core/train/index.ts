/**
 * Fine-tuning: the method registry (what a training method is and which exist) and the job queue that runs them.
 * Others use training through this face.
 */
export { createJobs, createJobStore, jobDir, trainHandlers, writeRollouts, type Jobs, type JobsOptions } from './jobs/index.ts';
export {
  buildSamples, chatExample, createMethodRegistry, defineMethod, MAIN_ROLE, methods, sampleTokens,
  type MethodRegistry, type MethodSpec, type TrainConfig, type TrainSample,
} from './methods/index.ts';
export { runTrainerChecks, trainUntilMemorized } from './check.ts';
export { exampleDbs, type TrainExample } from './datasets/index.ts';
export { estimateJob } from './estimate.ts';
export {
  atomicOps, createReasoningMemory, createRewarder, jaccard, openEmbedder, RewardSettingsSchema, shapeAtomic,
  type Embedder, type RewardBreakdown, type RewardInput, type Rewarder, type RewardSettings, type ReasoningMemory,
} from './rewards/index.ts';
export { openTokenizer } from './tokens.ts';
export { startTrainer, trainerBinary, type LoraSpec } from './trainer.ts';
