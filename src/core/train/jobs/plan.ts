/**
 * The deterministic parts of a job: the phases (one per adapter), the learning-rate schedule and the data order.
 * The data cursor is the step index itself, so a job resumed from a checkpoint needs no state beyond its step.
 */
import { mulberry32, shuffled } from '../../../shared/random.ts';
import type { TrainConfig } from '../methods/index.ts';

/** an adapter's role, as its method names it */
export type Role = string;
export interface Phase {
  role: Role;
  /** global step before the phase's first step */
  start: number;
  /** global step of the phase's last step */
  end: number;
  samples: number;
}

/** Optimizer steps of one adapter: `steps`, or enough micro-batches for `epochs` passes (default 1). */
export function phaseSteps(config: TrainConfig, samples: number): number {
  if (config.steps) return config.steps;
  const perStep = config.batchSize * config.gradAccum;
  return Math.max(1, Math.ceil(((config.epochs ?? 1) * samples) / perStep));
}

/** One phase per adapter, in the method's order (e.g. a schema-link adapter before the SQL adapter). */
export function planPhases(config: TrainConfig, samples: { role: Role; count: number }[]): Phase[] {
  const phases: Phase[] = [];
  let at = 0;
  for (const s of samples) {
    const n = phaseSteps(config, s.count);
    phases.push({ role: s.role, start: at, end: at + n, samples: s.count });
    at += n;
  }
  return phases;
}

/** lr at a phase's 1-based step k of n: linear warm-up, then constant or cosine down to minRatio * lr. */
export function learningRate(config: TrainConfig, k: number, n: number): number {
  const { kind, warmup, minRatio } = config.schedule;
  if (warmup > 0 && k <= warmup) return (config.lr * k) / warmup;
  if (kind === 'constant') return config.lr;
  const span = Math.max(1, n - warmup);
  const progress = Math.min(1, (k - warmup) / span);
  const floor = config.lr * minRatio;
  return floor + (config.lr - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}

/** A seeded Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, seed: number): number[] {
  return shuffled(Array.from({ length: n }, (_, i) => i), mulberry32(seed));
}

/**
 * The sample indices of a phase's 1-based step k, one array per micro-batch: the samples are read as an endless
 * stream of epochs, each a fresh permutation seeded by (seed, epoch).
 */
export function stepBatches(k: number, samples: number, batchSize: number, gradAccum: number, seed: number): number[][] {
  const perms = new Map<number, number[]>();
  const at = (position: number) => {
    const epoch = Math.floor(position / samples);
    let perm = perms.get(epoch);
    if (!perm) perms.set(epoch, (perm = permutation(samples, seed * 1_000_003 + epoch)));
    return perm[position % samples]!;
  };
  const first = (k - 1) * batchSize * gradAccum;
  return Array.from({ length: gradAccum }, (_, a) => Array.from({ length: batchSize }, (_, b) => at(first + a * batchSize + b)));
}
