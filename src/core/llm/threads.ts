/**
 * SQUILL_THREADS caps inference threads. ggml's threads meet at a barrier after every operation; on a machine where
 * other processes compete for the cores (a test run's parallel workers on 2-core CI) a barrier waits for a scheduler
 * time slice, and a tiny model measured 4 s per token with 2 threads against 0.1 s with 1.
 */
export function inferenceThreads(): number | undefined {
  const n = Number(process.env.SQUILL_THREADS);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
