/** The wizard presets the methods share today; a method with its own recipe lists its own. */
import type { TrainPreset } from '../../../shared/contract/index.ts';

export const QUICK: TrainPreset = {
  name: 'quick',
  label: 'quick (small models)',
  description: 'A high learning rate and a few hundred steps: moves a small model fast; for demos and tiny models.',
  hyper: { rank: 16, alpha: 32, lr: 3e-3, length: 'steps', steps: 150, epochs: 1, batchSize: 4, evalEvery: 50, checkpointEvery: 50, patience: 0 },
};

export const AUTHORS: TrainPreset = {
  name: 'authors',
  label: "authors' (scaled)",
  description: "The papers' recipe (LoRA r=64, alpha=32, cosine, several epochs) scaled for small models: half the rank, a learning rate raised for the smaller model.",
  hyper: { rank: 32, alpha: 16, lr: 2e-4, length: 'epochs', steps: 1000, epochs: 3, batchSize: 4, evalEvery: 100, checkpointEvery: 100, patience: 3 },
};
