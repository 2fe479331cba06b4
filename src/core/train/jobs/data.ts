/**
 * A job's data, made once and kept in its folder (data.json): the dev examples and, per adapter, the tokenized
 * training sequences. A resumed job reads the snapshot, so it trains on exactly the data it started with even if
 * the dataset (e.g. the corrections) changed meanwhile.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TrainConfigBase } from '../../../shared/contract/index.ts';
import { SquillError } from '../../../shared/errors.ts';
import type { SandboxPool } from '../../db/index.ts';
import type { Store } from '../../store/index.ts';
import { exampleDbs, loadDataset, splitDataset, type DatasetCache, type DatasetSpec, type InvalidRow, type TrainExample } from '../datasets/index.ts';
import { chatExample, sampleTokens, type MethodOptions, type MethodRegistry, type MethodSpec, type OnlinePrompt, type TrainConfig } from '../methods/index.ts';
import { openTokenizer, type TokenizerBridge } from '../tokens.ts';
import type { Role } from './plan.ts';

export interface Sequence {
  tokens: number[];
  weights: number[];
}
export interface JobData {
  version: 1;
  model: string;
  dev: TrainExample[];
  /** per adapter its supervised sequences; an online method's adapter also has its prompts (sequences: prompt + gold) */
  adapters: { role: Role; sequences: Sequence[]; tasks: Record<string, number>; prompts?: OnlinePrompt[] }[];
  /** the trainer's context: the longest sequence, rounded up */
  ctx: number;
  trainExamples: number;
}

export interface DataDeps {
  store: Store;
  sandbox: SandboxPool;
  connections?: { list(): import('../../../shared/contract/index.ts').Connection[] };
  /** keeps loaded datasets between the wizard's checks and the job's start */
  cache?: DatasetCache;
  log(line: string): void;
}

export interface LoadedSource {
  role: 'dataset' | 'dev';
  spec: DatasetSpec;
  examples: TrainExample[];
  invalid: InvalidRow[];
}
export interface LoadedSplit {
  train: TrainExample[];
  dev: TrainExample[];
  devFrom: 'split' | 'dev set' | 'none';
  sources: LoadedSource[];
}

const specs = (s: DatasetSpec | DatasetSpec[]) => (Array.isArray(s) ? s : [s]);

/** The job's datasets read, checked and split as the job will split them. */
export async function loadSplit(config: Pick<TrainConfigBase, 'dataset' | 'dev' | 'devFraction' | 'seed'>, deps: DataDeps): Promise<LoadedSplit> {
  const sources: LoadedSource[] = [];
  const loadAll = async (list: DatasetSpec[], role: LoadedSource['role']) => {
    const out: TrainExample[] = [];
    for (const spec of list) {
      const dd = { store: deps.store, sandbox: deps.sandbox, connections: deps.connections };
      const { examples, invalid } = deps.cache ? await deps.cache(spec, dd) : await loadDataset(spec, dd);
      deps.log(`${role === 'dev' ? 'dev set' : 'dataset'} ${spec.kind}${spec.path ? ` ${spec.path}` : ''}: ${examples.length} examples, ${invalid.length} invalid`);
      for (const row of invalid) deps.log(`  invalid row at line ${row.line}: ${row.reason}`);
      sources.push({ role, spec, examples, invalid });
      out.push(...examples);
    }
    return out;
  };
  const all = await loadAll(specs(config.dataset), 'dataset');
  if (config.dev) return { train: all, dev: await loadAll(specs(config.dev), 'dev'), devFrom: 'dev set', sources };
  if (config.devFraction > 0) return { ...splitDataset(all, config.devFraction, config.seed), devFrom: 'split', sources };
  return { train: all, dev: [], devFrom: 'none', sources };
}

export async function prepareData(methods: MethodRegistry, config: TrainConfig, modelPath: string, deps: DataDeps): Promise<JobData> {
  const spec: MethodSpec = methods.get(config.method);
  const { train, dev } = await loadSplit(config, deps);
  if (train.length === 0) throw new SquillError('VALIDATION', 'The dataset has no usable training examples; see the job log for the rows that were rejected');
  deps.log(`split: ${train.length} training examples, ${dev.length} dev examples`);

  const tokenizer = await openTokenizer(modelPath);
  try {
    const samples = await methods.buildSamples(spec.name, train, exampleDbs(deps.sandbox), methodOptions(methods, config, tokenizer, deps.log));
    let longest = 0;
    const byId = new Map(train.map((e) => [e.id, e]));
    // an online method's completions are sampled during training: the context holds the longest prompt plus them
    const completion = spec.online ? spec.online.rollouts(methods.settingsOf(config)).completionTokens : 0;
    // one phase per adapter, in the method's order
    const adapters = spec.adapters.map(({ role }) => {
      const mine = samples.filter((s) => s.adapter === role);
      if (mine.length === 0) throw new SquillError('VALIDATION', `The ${spec.name} builder made no samples for the ${role} adapter`);
      const tasks: Record<string, number> = {};
      const sequences = mine.map((s) => {
        tasks[s.task] = (tasks[s.task] ?? 0) + 1;
        const seq = sampleTokens(tokenizer, s);
        longest = Math.max(longest, seq.tokens.length);
        return seq;
      });
      deps.log(`${role} adapter: ${sequences.length} samples (${Object.entries(tasks).map(([t, n]) => `${t} ${n}`).join(', ')})`);
      if (!spec.online) return { role, sequences, tasks };
      const prompts = mine.map((s): OnlinePrompt => {
        const e = byId.get(s.exampleId)!;
        const { assistant: _answer, ...prompt } = chatExample(s);
        const tokens = tokenizer.promptTokens(prompt);
        longest = Math.max(longest, tokens.length + completion);
        return { tokens, exampleId: e.id, question: e.question, dbId: e.dbId, dbPath: e.dbPath, golds: [s.target] };
      });
      return { role, sequences, tasks, prompts };
    });
    const ctx = trainerContext(longest);
    deps.log(`longest sequence ${longest} tokens; trainer context ${ctx}`);
    return { version: 1, model: modelPath, dev, adapters, ctx, trainExamples: train.length };
  } finally {
    await tokenizer.dispose();
  }
}

/** The builders' options a job's config gives (the same for its estimate). */
export function methodOptions(methods: MethodRegistry, config: TrainConfig, tokenizer: TokenizerBridge, log?: (line: string) => void): MethodOptions {
  return methods.options(config, async (t) => tokenizer.tokenize(t).length, log);
}

/** The trainer context for sequences of up to `longest` tokens. */
export const trainerContext = (longest: number) => Math.max(128, Math.ceil(longest / 64) * 64);

/** The job's snapshot, made on its first run. */
export async function jobData(dir: string, make: () => Promise<JobData>): Promise<JobData> {
  const file = path.join(dir, 'data.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as JobData;
  const data = await make();
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(data));
  fs.renameSync(tmp, file);
  return data;
}
