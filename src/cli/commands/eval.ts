import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { positiveInt } from '../options.ts';
import { BENCHES, GRAMMARS, METRICS, STRATEGIES, type EvalExample, type EvalRun, type MetricName, type StrategySettings } from '../../shared/contract/index.ts';
import { createCore, resolveDataDir, type Core } from '../../core/index.ts';
import { loadQuestions, officialPredictionFiles, predictionsJsonl } from '../../core/eval/index.ts';
import { openModelSpec } from '../../core/llm/index.ts';
import { sha256File } from '../../core/models/index.ts';
import { asUsageError, UsageError } from '../errors.ts';

function parseMetrics(value: string): MetricName[] {
  const names = value.split(',').map((m) => m.trim()).filter(Boolean);
  const unknown = names.filter((m) => !(METRICS as readonly string[]).includes(m));
  if (unknown.length || names.length === 0) {
    throw new InvalidArgumentError(`metrics are a comma-separated list of ${METRICS.join(', ')}${unknown.length ? ` (not ${unknown.join(', ')})` : ''}`);
  }
  return names as MetricName[];
}

export function formatSummary(run: EvalRun): string {
  const lines = [`${run.name}: ${run.done} of ${run.total} examples (${run.unavailable} unavailable, not scored), ${run.status} in ${((run.elapsedMs ?? 0) / 1000).toFixed(1)} s`];
  for (const metric of run.metrics) {
    const s = run.summary[metric];
    if (!s) continue;
    lines.push('', `${metric.padEnd(15)} ${s.score.toFixed(2).padStart(7)}  over ${s.count} scored`);
    for (const [group, g] of Object.entries(s.byGroup).sort()) {
      lines.push(`  ${group.padEnd(13)} ${g.score.toFixed(2).padStart(7)}  (${g.count})`);
    }
    const reasons = Object.entries(s.reasons).sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n}`);
    if (reasons.length) lines.push(`  reasons: ${reasons.join(', ')}`);
  }
  lines.push('', `run ${run.id} is kept in the app store with its reproducibility record`);
  return lines.join('\n');
}

function scoreCommand(): Command {
  return new Command('score')
    .description('score a predictions file ({"id", "db_id", "gold", "pred"} per line) against a benchmark')
    .addOption(new Option('--bench <name>', 'the benchmark').choices(BENCHES as unknown as string[]).makeOptionMandatory())
    .requiredOption('--data <dir>', 'the benchmark folder (e.g. ../shared/bench/spider), or the JSONL file')
    .requiredOption('--predictions <file>', 'the predictions, JSON lines')
    .requiredOption('--out <file>', 'where to write one JSON line per input')
    .option('--metrics <list>', `comma-separated, of ${METRICS.join(', ')}`, parseMetrics)
    .option('--workers <n>', 'sandbox processes (default: CPU cores)', positiveInt('--workers'))
    .option('--timeout-ms <n>', 'time limit per query (default 30000)', positiveInt('--timeout-ms'))
    .option('--ves-iterations <n>', 'timed runs per query for VES/R-VES (default 100, as the official)', positiveInt('--ves-iterations'))
    .option('--keep-distinct', 'do not remove DISTINCT before executing (test-suite --keep_distinct)')
    .action(async (opts: {
      bench: (typeof BENCHES)[number]; data: string; predictions: string; out: string; metrics?: MetricName[];
      workers?: number; timeoutMs?: number; vesIterations?: number; keepDistinct?: boolean;
    }) => {
      if (!fs.existsSync(opts.predictions)) throw new UsageError(`No predictions file at ${opts.predictions}`);
      const core = createCore({ dataDir: resolveDataDir(), host: 'cli' });
      try {
        const { runId } = await core.evaluations.start({
          bench: opts.bench,
          dataDir: opts.data,
          predictions: { path: opts.predictions },
          metrics: opts.metrics,
          workers: opts.workers,
          timeoutMs: opts.timeoutMs,
          vesIterations: opts.vesIterations,
          keepDistinct: opts.keepDistinct,
        });
        const run = await core.evaluations.finished(runId);
        const out = fs.createWriteStream(opts.out);
        for (let offset = 0; offset < run.total; offset += 1000) {
          for (const ex of core.evaluations.examples(runId, {}, offset, 1000).items) {
            const line: Record<string, unknown> = { id: ex.id };
            if (ex.unavailable) line.unavailable = ex.unavailable;
            for (const metric of run.metrics) if (metric in ex.scores) line[metric] = ex.scores[metric];
            line.reasons = ex.reasons;
            if (ex.group) line.group = ex.group;
            out.write(`${JSON.stringify(line)}\n`);
          }
        }
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        process.stdout.write(`${formatSummary(run)}\n`);
        if (run.status === 'failed') throw new Error(`The evaluation failed: ${run.error}`);
      } finally {
        await core.close();
      }
    });
}

/** Every example of a run, in order. */
function allExamples(core: Core, run: EvalRun): EvalExample[] {
  const items: EvalExample[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = core.evaluations.examples(run.id, {}, offset, 1000).items;
    items.push(...page);
    if (page.length < 1000) return items;
  }
}

function writeFileAtomic(file: string, content: string) {
  fs.writeFileSync(`${file}.tmp`, content);
  fs.renameSync(`${file}.tmp`, file);
}

interface RunOptions {
  bench: (typeof BENCHES)[number];
  data: string;
  model: string;
  adapter?: string;
  remoteModel?: string;
  strategy: (typeof STRATEGIES)[number];
  grammar: (typeof GRAMMARS)[number];
  limit?: number;
  samples?: number;
  seed?: number;
  maxTokens?: number;
  contextSize?: number;
  metrics?: MetricName[];
  name?: string;
  out: string;
}

function runCommand(): Command {
  return new Command('run')
    .description('answer a benchmark\'s questions with a model and a strategy, keep each trace, and score the predictions')
    .addOption(new Option('--bench <name>', 'the benchmark').choices(BENCHES as unknown as string[]).makeOptionMandatory())
    .requiredOption('--data <dir>', 'the benchmark folder (e.g. ../shared/bench/spider), or the JSONL file')
    .requiredOption('--model <gguf|url>', 'a GGUF file, or the URL of an OpenAI-compatible endpoint (…/v1)')
    .option('--adapter <gguf>', 'a LoRA adapter GGUF for the model')
    .option('--remote-model <name>', 'the model name an endpoint expects (default: the first it lists)')
    .addOption(new Option('--strategy <name>', 'text-to-SQL strategy').choices([...STRATEGIES]).default('direct'))
    .addOption(new Option('--grammar <kind>', 'schema: SQL may name only real tables and columns').choices([...GRAMMARS]).default('schema'))
    .option('--limit <n>', 'only the first N questions of the dev split', positiveInt('--limit'))
    .option('--samples <n>', 'vote: number of samples', positiveInt('--samples'))
    .option('--seed <n>', 'sampling seed', positiveInt('--seed'))
    .option('--max-tokens <n>', 'most tokens per model answer', positiveInt('--max-tokens'))
    .option('--context-size <n>', 'model context size (default 4096)', positiveInt('--context-size'))
    .option('--metrics <list>', `comma-separated, of ${METRICS.join(', ')}`, parseMetrics)
    .option('--name <name>', 'the run\'s name in the app store')
    .requiredOption('--out <dir>', 'folder for the predictions, traces.jsonl and summary.json')
    .action(async (o: RunOptions) => {
      const out = path.resolve(o.out);
      if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new UsageError(`--out ${out} is a file, not a folder`);
      // bad data is bad input (exit 2), found before a model is loaded
      asUsageError(() => loadQuestions(o.bench, o.data));
      fs.mkdirSync(out, { recursive: true });
      const settings: StrategySettings = {
        sampling: { ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.maxTokens !== undefined ? { maxTokens: o.maxTokens } : {}) },
        ...(o.samples ? { vote: { samples: o.samples } } : {}),
      };
      const opened = await openModelSpec({ model: o.model, adapter: o.adapter, remoteModel: o.remoteModel, contextSize: o.contextSize }).catch((err: unknown) =>
        asUsageError(() => {
          throw err;
        }),
      );
      const core = createCore({ dataDir: resolveDataDir(), host: 'cli' });
      let runId: string | null = null;
      const onSignal = () => {
        process.stderr.write('squill: stopping after scoring what was generated…\n');
        if (runId) core.evaluations.cancel(runId);
      };
      process.once('SIGINT', onSignal);
      try {
        const local = !/^https?:\/\//i.test(o.model);
        const sha256 = opened.info.sha256 ?? (local ? await sha256File(path.resolve(o.model)) : `remote:${o.model}#${opened.textModel.name}`);
        const adapterSha256 = o.adapter ? await sha256File(path.resolve(o.adapter)) : null;
        const started = performance.now();
        let generatedAt = started;
        const generation = await core.evaluations.generate(
          { bench: o.bench, dataDir: o.data, strategy: o.strategy, grammar: o.grammar, settings, limit: o.limit, metrics: o.metrics, name: o.name },
          {
            modelName: opened.info.name,
            open: async () => ({
              model: opened.textModel,
              modelInfo: { id: null, name: opened.info.name, sha256: local ? sha256 : null },
              adapterInfo: opened.adapterInfo && { id: null, name: opened.adapterInfo.name, sha256: adapterSha256 },
              sha256,
              adapterSha256,
            }),
            onGenerated(ex, trace, done, total) {
              generatedAt = performance.now();
              const what = !trace
                ? `unavailable: ${ex.unavailable}`
                : `${(trace.totalMs / 1000).toFixed(1)} s, ${trace.status !== 'done' ? `failed: ${trace.error}` : trace.final.execution?.ok ? 'runs' : `does not run: ${trace.final.execution?.error ?? 'not executed'}`}`;
              process.stderr.write(`[${done}/${total}] ${ex.id} ${ex.dbId}: ${what}\n`);
              if (done === total) process.stderr.write(`scoring ${total} predictions…\n`);
            },
          },
        );
        runId = generation.runId;
        const run = await core.evaluations.finished(runId);
        const examples = allExamples(core, run);
        const asInput = examples.map((e) => ({ ...e, dbFiles: [], traceId: e.traceId }));
        writeFileAtomic(path.join(out, 'predictions.jsonl'), predictionsJsonl(asInput));
        for (const f of officialPredictionFiles(o.bench, asInput)) writeFileAtomic(path.join(out, f.file), f.content);
        const traces = examples.flatMap((e) => (e.traceId ? [core.ai.traces.get(e.traceId)] : []));
        writeFileAtomic(path.join(out, 'traces.jsonl'), traces.map((t) => `${JSON.stringify(t)}\n`).join(''));
        const generationMs = generatedAt - started;
        const summary = {
          run: run.id,
          name: run.name,
          bench: run.bench,
          status: run.status,
          error: run.error,
          examples: run.total,
          generated: examples.length,
          unavailable: examples.filter((e) => e.unavailable).length,
          metrics: Object.fromEntries(run.metrics.flatMap((m) => (run.summary[m] ? [[m, run.summary[m]]] : []))),
          timing: {
            totalMs: run.elapsedMs,
            generationMs,
            scoringMs: run.elapsedMs === null ? null : Math.max(0, run.elapsedMs - generationMs),
            meanPerExampleMs: traces.length ? traces.reduce((s, t) => s + t.totalMs, 0) / traces.length : null,
            modelMs: traces.reduce((s, t) => s + t.modelMs, 0),
          },
          model: run.record?.model ?? null,
          record: run.record,
        };
        writeFileAtomic(path.join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
        process.stdout.write(`${formatSummary(run)}\n`);
        if (run.status === 'failed') throw new Error(`The evaluation failed: ${run.error}`);
        if (run.status === 'cancelled') throw new Error(`Stopped after ${examples.length} of ${run.total} examples; what was generated is scored in ${out}`);
      } finally {
        process.off('SIGINT', onSignal);
        // the model before the engine that holds it, and after any run that uses it
        await core.evaluations.close();
        await opened.close();
        await core.close();
      }
    });
}

export function evalCommand(): Command {
  return new Command('eval').description('benchmark evaluation').addCommand(scoreCommand().exitOverride()).addCommand(runCommand().exitOverride());
}
