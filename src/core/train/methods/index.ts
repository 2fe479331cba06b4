/**
 * The training-method registry. Each method is a MethodSpec in its own file (spec.ts says what one holds): its
 * adapters, the settings it adds to the config, its data builder over the engine's weighted-loss step (made with the
 * very prompt builders inference uses, so a model is trained on the prompts it will be asked), its dev-evaluation
 * strategy and its wizard presets. BUILT_IN is the one list of methods: adding one is its file plus a line there.
 * createMethodRegistry resolves names to specs (as ai/strategies resolves strategies) and completes the contract's
 * config into TrainConfig, a union on `method` whose member for a method carries its settings under its name.
 */
import { z } from 'zod';
import { STRATEGIES, TrainConfigBaseSchema, TrainEvalSettingsSchema, type StrategyName, type TrainMethodInfo } from '../../../shared/contract/index.ts';
import { SquillError } from '../../../shared/errors.ts';
import { DEFAULT_SAMPLE_ROWS, prompts, type DbHandle } from '../../ai/index.ts';
import type { TrainExample } from '../datasets/index.ts';
import type { TokenizerBridge } from '../tokens.ts';
import { lrsql } from './lrsql.ts';
import { reasonSft } from './reason.ts';
import { route } from './route.ts';
import { grpo } from './grpo.ts';
import { sft } from './sft.ts';
import { MAIN_ROLE, type BuildContext, type MethodOptions, type MethodSpec, type TrainSample } from './spec.ts';

export { injectErrors, type Injection } from './route.ts';
export { defineMethod, MAIN_ROLE, type AdapterSpec, type BuildContext, type MethodOptions, type MethodSpec, type OnlineContext, type OnlinePrompt, type OnlineSpec, type OnlineStep, type TrainSample } from './spec.ts';
export { AUTHORS, QUICK } from './presets.ts';

/** The methods, in the order the wizard lists them. */
export const BUILT_IN: readonly MethodSpec[] = [sft, lrsql, route, reasonSft, grpo];

/** The config fields every method shares, strict: a member of the union adds `method` and the method's section. */
const Fields = TrainConfigBaseSchema.strict();
type Fields = z.output<typeof Fields>;
/** A job's config as the core runs it: the shared fields, `method`, the dev strategy resolved, the method's section. */
export type TrainConfig = Omit<Fields, 'eval'> & { method: string; eval: Omit<Fields['eval'], 'strategy'> & { strategy: StrategyName } };

export interface MethodRegistry {
  /** every method's name, in the wizard's order */
  readonly names: readonly string[];
  /** the method of that name; VALIDATION naming the known ones otherwise */
  get(name: string): MethodSpec;
  /** what train.methods answers */
  catalog(): TrainMethodInfo[];
  /** TrainConfig's schema: a discriminated union on `method` */
  readonly schema: z.ZodType;
  /** one method's member of the union (the CLI extends it for its config file) */
  configSchema(name: string): z.ZodObject;
  /**
   * A config for a method, checked by its member of the union. Accepts every config and stored job of before the
   * registry: a config without `method` (given beside it) and another method's section (never read by this one,
   * dropped, as it was ignored before).
   */
  parseConfig(method: string, config: unknown): TrainConfig;
  /** the samples of every example, in example order */
  buildSamples(method: string, examples: TrainExample[], db: (example: TrainExample) => Promise<DbHandle>, o: MethodOptions): Promise<TrainSample[]>;
  /** the builders' options a config gives (the same for a job's data and its estimate); `log` takes builders' notes */
  options(config: TrainConfig, count: (text: string) => Promise<number>, log?: (line: string) => void): MethodOptions;
  /** the config's section of its method, checked by the method's settings schema (undefined for a method without one) */
  settingsOf(config: TrainConfig): unknown;
}

const describe = (error: z.ZodError) => error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(the config)'}: ${i.message}`).join('; ');

/** A registry of the built-in methods and `extra` ones (tests register a toy method this way). */
export function createMethodRegistry(extra: readonly MethodSpec[] = []): MethodRegistry {
  const all = [...BUILT_IN, ...extra];
  const byName = new Map<string, MethodSpec>();
  for (const spec of all) {
    if (byName.has(spec.name)) throw new Error(`Two training methods are named ${spec.name}`);
    // a method's section lives under its name beside the shared fields
    if (spec.name in Fields.shape || spec.name === 'method') throw new Error(`The method name ${spec.name} is a config field`);
    const roles = spec.adapters.map((a) => a.role);
    if (new Set(roles).size !== roles.length || !roles.includes(MAIN_ROLE)) throw new Error(`${spec.name}: adapters need distinct roles, one of them "${MAIN_ROLE}"`);
    byName.set(spec.name, spec);
  }
  const names = all.map((s) => s.name);
  const members = new Map(
    all.map((spec) => [
      spec.name,
      Fields.extend({
        method: z.literal(spec.name),
        eval: TrainEvalSettingsSchema.extend({ strategy: z.enum(STRATEGIES).default(spec.evalStrategy) }).prefault({}),
        ...(spec.settings ? { [spec.name]: spec.settings.optional() } : {}),
      }),
    ]),
  );
  const schema = z.discriminatedUnion('method', [...members.values()] as unknown as [z.ZodObject, ...z.ZodObject[]]);

  const get = (name: string): MethodSpec => {
    const spec = byName.get(name);
    if (!spec) throw new SquillError('VALIDATION', `Unknown training method ${name}; use one of ${names.join(', ')}`);
    return spec;
  };

  return {
    names,
    get,
    schema,
    configSchema: (name) => members.get(get(name).name)!,
    catalog: () =>
      all.map((s) => ({
        name: s.name,
        label: s.label,
        description: s.description,
        adapters: s.adapters.map((a) => ({ role: a.role, label: a.label, linkModel: a.linkModel ?? false })),
        evalStrategy: s.evalStrategy,
        strategy: s.strategy,
        options: s.options ?? null,
        presets: [...s.presets],
        kind: s.online ? 'online' : 'supervised',
        startFrom: s.startFrom ?? false,
        curves: [...(s.online?.curves ?? [])],
      })),
    parseConfig(method, config) {
      get(method);
      if (typeof config !== 'object' || config === null) throw new SquillError('VALIDATION', 'The training config must be an object');
      const input: Record<string, unknown> = { ...config };
      if (input.method !== undefined && input.method !== method) throw new SquillError('VALIDATION', `The config is for the method ${String(input.method)}, not ${method}`);
      for (const other of names) if (other !== method) delete input[other];
      const parsed = schema.safeParse({ ...input, method });
      if (!parsed.success) throw new SquillError('VALIDATION', `The training config is invalid: ${describe(parsed.error)}`);
      return parsed.data as TrainConfig;
    },
    async buildSamples(method, examples, db, o) {
      const spec = get(method);
      const settings = spec.settings && o.settings !== undefined ? spec.settings.parse(o.settings) : undefined;
      const roles = new Set(spec.adapters.map((a) => a.role));
      // handles, sample rows and the builders' memos are made once per database; perJob values once per build
      const perDb = new Map<string, { handle: Promise<DbHandle>; memo: Map<string, Promise<unknown>> }>();
      const perJob = new Map<string, Promise<unknown>>();
      const closers: (() => Promise<void>)[] = [];
      const log = o.log ?? (() => {});
      const out: TrainSample[] = [];
      try {
        for (const e of examples) {
          let entry = perDb.get(e.dbPath);
          if (!entry) perDb.set(e.dbPath, (entry = { handle: db(e), memo: new Map() }));
          const { memo } = entry;
          const once = <T>(key: string, make: () => Promise<T>): Promise<T> => {
            let p = memo.get(key) as Promise<T> | undefined;
            if (!p) memo.set(key, (p = make()));
            return p;
          };
          const h = await entry.handle;
          const ctx: BuildContext<unknown> = {
            db: h,
            options: o,
            settings,
            sampleRows: () => once('sampleRows', () => prompts.readSampleRows(h, o.sampleRows ?? DEFAULT_SAMPLE_ROWS)),
            perDatabase: once,
            perJob: <T>(key: string, make: () => Promise<T>, close?: (value: T) => Promise<void>): Promise<T> => {
              let p = perJob.get(key) as Promise<T> | undefined;
              if (!p) {
                perJob.set(key, (p = make()));
                if (close) closers.push(async () => close(await p!).catch((err: Error) => log(`${spec.name}: closing ${key} failed: ${err.message}`)));
              }
              return p;
            },
            log,
          };
          for (const s of await spec.build(e, ctx)) {
            if (!roles.has(s.adapter)) throw new Error(`${spec.name} built a sample for the adapter ${s.adapter}, which it does not declare`);
            out.push({ ...s, exampleId: e.id });
          }
        }
      } finally {
        // in reverse order of opening; a value whose make() failed has nothing to close
        for (const close of closers.reverse()) await close().catch(() => {});
      }
      return out;
    },
    settingsOf: (config) => get(config.method).settings?.parse((config as Record<string, unknown>)[config.method] ?? {}),
    options: (config, count, log) => ({
      count,
      ...(log ? { log } : {}),
      schemaBudget: config.prompt.schemaBudget,
      sampleRows: config.prompt.sampleRows,
      sliceBudget: config.prompt.sliceBudget,
      seed: config.seed,
      settings: (config as Record<string, unknown>)[config.method],
    }),
  };
}

/** The built-in methods. */
export const methods = createMethodRegistry();

/** The built-in methods' samples (see MethodRegistry.buildSamples). */
export const buildSamples: MethodRegistry['buildSamples'] = (method, examples, db, o) => methods.buildSamples(method, examples, db, o);

// ---------------------------------------------------------------------------------------------------------------
// tokens

/** A sample as the tokenizer bridge's chat example: [system?, user] messages, the assistant turn. */
export function chatExample(s: TrainSample): { system?: string; user: string; assistant: string } {
  const system = s.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
  const user = s.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
  return { ...(system ? { system } : {}), user, assistant: (s.prefix ?? '') + s.target };
}

/**
 * Tokens and loss weights of a sample: the prompt masked (tokens.ts `supervised`) and, for a forced answer
 * prefix, the tokens shared with the rendering of the prefix alone masked too (where the cut falls inside a model
 * token, e.g. "count(*" + ") FROM", that token is learned: it is the first one the answer cannot take from the prefix).
 */
export function sampleTokens(tok: TokenizerBridge, s: TrainSample): { tokens: number[]; weights: number[] } {
  const example = chatExample(s);
  const full = tok.supervised(example);
  if (!s.prefix) return full;
  const pre = tok.supervised({ ...example, assistant: s.prefix }).tokens.slice(0, -1);
  let n = 0;
  while (n < pre.length && full.tokens[n] === pre[n]) n++;
  return { tokens: full.tokens, weights: full.weights.map((w, i) => (i < n ? 0 : w)) };
}
