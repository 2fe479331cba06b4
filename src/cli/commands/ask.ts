import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { GRAMMARS, STRATEGIES, type StrategySettings } from '../../shared/contract/index.ts';
import { openFileSession } from '../../core/ai/index.ts';
import { asUsageError, UsageError } from '../errors.ts';
import { nonNegativeInt, nonNegativeNumber, positiveInt } from '../options.ts';
import { formatResult } from './query.ts';

interface AskOptions {
  db: string;
  model: string;
  adapter?: string;
  remoteModel?: string;
  strategy: (typeof STRATEGIES)[number];
  grammar: (typeof GRAMMARS)[number];
  evidence?: string;
  trace?: string;
  samples?: number;
  temperature?: number;
  seed?: number;
  maxTokens?: number;
  contextSize?: number;
  sliceBudget?: number;
  sampleRows?: number;
  schemaBudget?: number;
  json?: boolean;
}

export function askCommand(): Command {
  return new Command('ask')
    .description('answer a question about a SQLite database with a model and a text-to-SQL strategy')
    .requiredOption('--db <path>', 'the SQLite file')
    .requiredOption('--model <gguf|url>', 'a GGUF file, or the URL of an OpenAI-compatible endpoint (…/v1)')
    .option('--adapter <gguf>', 'a LoRA adapter GGUF for the model')
    .option('--remote-model <name>', 'the model name an endpoint expects (default: the first it lists)')
    .addOption(new Option('--strategy <name>', 'text-to-SQL strategy').choices([...STRATEGIES]).default('direct'))
    .addOption(new Option('--grammar <kind>', 'schema: SQL may name only real tables and columns').choices([...GRAMMARS]).default('schema'))
    .option('--evidence <text>', 'a hint (BIRD evidence)')
    .option('--trace <file>', 'write the full trace as JSON')
    .option('--samples <n>', 'vote: number of samples', positiveInt('--samples'))
    .option('--temperature <t>', 'sampling temperature (default: the strategy’s)', nonNegativeNumber('--temperature'))
    .option('--seed <n>', 'sampling seed', positiveInt('--seed'))
    .option('--max-tokens <n>', 'most tokens per model answer', positiveInt('--max-tokens'))
    .option('--context-size <n>', 'model context size (default 4096)', positiveInt('--context-size'))
    .option('--slice-budget <n>', 'lrsql: tokens per schema slice', positiveInt('--slice-budget'))
    .option('--sample-rows <n>', 'sample rows per table in the schema prompt (default 3; 0 for none)', nonNegativeInt('--sample-rows'))
    .option('--schema-budget <n>', 'most tokens for the schema part of a prompt', positiveInt('--schema-budget'))
    .option('--json', 'print the trace as JSON instead of the SQL and its result')
    .argument('<question>', 'the question')
    .action(async (question: string, o: AskOptions) => {
      const dbFile = path.resolve(o.db);
      if (!question.trim()) throw new UsageError('the question is empty');
      const settings: StrategySettings = {
        sampling: {
          ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
          ...(o.seed !== undefined ? { seed: o.seed } : {}),
          ...(o.maxTokens !== undefined ? { maxTokens: o.maxTokens } : {}),
        },
        ...(o.samples ? { vote: { samples: o.samples } } : {}),
        ...(o.sliceBudget ? { lrsql: { sliceBudget: o.sliceBudget } } : {}),
        ...(o.sampleRows !== undefined ? { sampleRows: o.sampleRows } : {}),
        ...(o.schemaBudget ? { schemaBudget: o.schemaBudget } : {}),
      };
      // a missing or unreadable --db or --model is bad input (exit 2), found before anything runs
      const session = await asUsageErrorAsync(() => openFileSession(dbFile, { model: o.model, adapter: o.adapter, remoteModel: o.remoteModel, contextSize: o.contextSize }));
      try {
        const { db } = session;
        const controller = new AbortController();
        const onSignal = () => controller.abort();
        process.once('SIGINT', onSignal);
        const trace = await session
          .ask({ question, evidence: o.evidence ?? null, strategy: o.strategy, grammar: o.grammar, settings, signal: controller.signal })
          .finally(() => process.off('SIGINT', onSignal));
        if (o.trace) {
          const file = path.resolve(o.trace);
          fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(trace, null, 2)}\n`);
          fs.renameSync(`${file}.tmp`, file);
        }
        if (o.json) {
          process.stdout.write(`${JSON.stringify(trace)}\n`);
        } else {
          process.stdout.write(`${trace.final.sql}\n`);
          const exec = trace.final.execution;
          if (exec?.ok && trace.status === 'done') {
            const result = await db.execute(trace.final.sql, { maxRows: 50 });
            process.stdout.write(`\n${formatResult(result)}\n`);
          } else if (exec && !exec.ok) {
            process.stdout.write(`\nerror: ${exec.error}\n`);
          }
        }
        if (trace.status !== 'done') throw new Error(trace.error ?? `the ask ended ${trace.status}`);
        if (!trace.final.execution?.ok) process.exitCode = 1;
      } finally {
        await session.close();
      }
    });
}

async function asUsageErrorAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    return asUsageError(() => {
      throw err;
    });
  }
}
