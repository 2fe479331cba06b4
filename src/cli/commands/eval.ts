import fs from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { positiveInt } from '../options.ts';
import { BENCHES, METRICS, type EvalRun, type MetricName } from '../../shared/contract.ts';
import { createCore, resolveDataDir } from '../../core/index.ts';
import { UsageError } from '../errors.ts';

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
      bench: 'spider' | 'bird' | 'jsonl'; data: string; predictions: string; out: string; metrics?: MetricName[];
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

export function evalCommand(): Command {
  return new Command('eval').description('benchmark evaluation').addCommand(scoreCommand().exitOverride());
}
