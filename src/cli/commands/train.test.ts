/**
 * `squill train`: config files are validated with the field path in the message, the shipped examples are valid,
 * and a tiny job run headless prints one JSON object per step, its evaluations and a summary last.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, trainerUnavailable } from '../../../test/helpers.ts';
import { EXIT } from '../errors.ts';
import { trainFileSchema } from './train.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const BIN = path.join(ROOT, 'bin', 'squill.js');
const squill = (args: string[], timeout = 20_000) => {
  const res = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, SQUILL_DATA_DIR: tempDir() }, timeout });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
};
const unavailable = trainerUnavailable();

describe('squill train', () => {
  it('ships valid example configs', () => {
    for (const name of fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('-demo.json'))) {
      // examples/<method>-demo.json
      const parsed = trainFileSchema(name.replace(/-demo\.json$/, '')).safeParse(JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', name), 'utf8')));
      expect(parsed.error?.issues ?? [], name).toEqual([]);
      // a preceding stage's config is valid for its method too
      const stage = (parsed.data?.startFrom as { train?: { method: string; config: string } } | undefined)?.train;
      if (stage) {
        const first = trainFileSchema(stage.method).safeParse(JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', stage.config), 'utf8')));
        expect(first.error?.issues ?? [], stage.config).toEqual([]);
      }
    }
  });

  it('refuses a bad config with the path of each wrong field (exit 2)', () => {
    const dir = tempDir();
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ model: { path: 'm.gguf' }, dataset: { kind: 'jsonl', path: 'x.jsonl' }, lora: { rank: 0 }, schedule: { kind: 'linear' } }));
    const res = squill(['train', '--method', 'sft', '--config', file]);
    expect(res.code).toBe(EXIT.USAGE);
    expect(res.stderr).toMatch(/bad\.json is not a valid training config: .*lora\.rank: .*schedule\.kind: /);
    expect(squill(['train', '--method', 'sft', '--config', path.join(dir, 'missing.json')]).stderr).toMatch(/No config file at/);
    expect(squill(['train', '--method', 'grpo', '--config', file]).code).toBe(EXIT.USAGE);
  });

  it.skipIf(unavailable !== null && !process.env.CI)('runs a job headless: a JSON object per step, then the summary', () => {
    const dir = tempDir();
    const db = path.join(ROOT, 'resources', 'demo', 'concert_singer.sqlite');
    const rows = (pairs: string[][]) => pairs.map(([question, sql]) => JSON.stringify({ question, sql, db_path: db })).join('\n');
    fs.writeFileSync(path.join(dir, 'train.jsonl'), rows([['How many singers are there?', 'SELECT count(*) FROM singer'], ['List the names of all stadiums.', 'SELECT Name FROM stadium']]));
    fs.writeFileSync(path.join(dir, 'dev.jsonl'), rows([['How many stadiums are there?', 'SELECT count(*) FROM stadium']]));
    fs.writeFileSync(
      path.join(dir, 'job.json'),
      JSON.stringify({
        model: { create: { arch: 'llama', shape: { layers: 1, embd: 64, ff: 128, heads: 4, kvHeads: 2 }, vocab: 'phi-3', seed: 3 } },
        dataset: { kind: 'jsonl', path: 'train.jsonl' },
        dev: { kind: 'jsonl', path: 'dev.jsonl' },
        steps: 3,
        batchSize: 2,
        eval: { maxTokens: 8, contextSize: 512 },
        prompt: { sampleRows: 0 },
        threads: 1,
      }),
    );
    const out = path.join(dir, 'out');
    const res = squill(['train', '--method', 'sft', '--config', path.join(dir, 'job.json'), '--out', out], 300_000);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(EXIT.OK);
    const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // before training: the data check and the estimate, as the wizard shows them
    expect(lines[0]).toMatchObject({ type: 'data', train: expect.any(Number), dev: expect.any(Number), invalid: expect.any(Array), contamination: expect.any(Array) });
    expect(lines[1]).toMatchObject({ type: 'estimate', peakBytes: expect.any(Number), totalSteps: 3 });
    expect(lines.filter((l) => l.type === 'step').map((l) => l.step)).toEqual([1, 2, 3]);
    expect(lines.filter((l) => l.type === 'step')[0]).toEqual({
      type: 'step', method: 'sft', step: 1, loss: expect.any(Number), lr: expect.any(Number), gradNorm: expect.any(Number), tokensPerS: expect.any(Number), rssBytes: expect.any(Number),
    });
    expect(lines.filter((l) => l.type === 'eval').map((l) => l.step)).toEqual([0, 3]);
    const summary = lines.at(-1)!;
    expect(summary).toMatchObject({ type: 'summary', state: 'done', steps: 3, devExamples: 1, devExBefore: expect.any(Number), devExAfter: expect.any(Number) });
    expect(summary.adapters).toEqual([{ role: 'main', path: path.join(out, 'main.gguf'), step: 3 }]);
    expect(fs.existsSync(path.join(out, 'main.gguf')) && fs.existsSync(path.join(out, 'summary.json'))).toBe(true);
  }, 300_000);

  it.skipIf(unavailable !== null && !process.env.CI)('runs a preceding stage first (startFrom.train) and starts the job from its SQL adapter', () => {
    const dir = tempDir();
    const db = path.join(ROOT, 'resources', 'demo', 'concert_singer.sqlite');
    fs.writeFileSync(path.join(dir, 'train.jsonl'), [['How many singers are there?', 'SELECT count(*) FROM singer'], ['List the names of all stadiums.', 'SELECT Name FROM stadium']].map(([question, sql]) => JSON.stringify({ question, sql, db_path: db })).join('\n'));
    const common = { dataset: { kind: 'jsonl', path: 'train.jsonl' }, devFraction: 0, steps: 2, batchSize: 2, prompt: { sampleRows: 0 }, threads: 1 };
    fs.writeFileSync(path.join(dir, 'stage0.json'), JSON.stringify({ ...common, model: { path: 'ignored.gguf' } }));
    fs.writeFileSync(
      path.join(dir, 'grpo.json'),
      JSON.stringify({
        ...common,
        model: { create: { arch: 'llama', shape: { layers: 1, embd: 64, ff: 128, heads: 4, kvHeads: 2 }, vocab: 'phi-3', seed: 3 } },
        startFrom: { train: { method: 'reason-sft', config: 'stage0.json' } },
        grpo: { group: 2, maxTokens: 32, beta: 0 },
      }),
    );
    const out = path.join(dir, 'out');
    const res = squill(['train', '--method', 'grpo', '--config', path.join(dir, 'grpo.json'), '--out', out], 300_000);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(EXIT.OK);
    const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const summaries = lines.filter((l) => l.type === 'summary');
    expect(summaries.map((l) => [l.method, l.state])).toEqual([['reason-sft', 'done'], ['grpo', 'done']]);
    // both on the model this file created (the stage's own model is replaced), GRPO from the stage's adapter
    expect(summaries.map((l) => l.model)).toEqual([path.join(out, 'base-model.gguf'), path.join(out, 'base-model.gguf')]);
    expect(fs.readFileSync(summaries[1]!.log as string, 'utf8')).toMatch(new RegExp(`the SQL adapter starts from ${path.join(out, 'reason-sft', 'main.gguf').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const steps = lines.filter((l) => l.type === 'step' && l.method === 'grpo');
    expect(steps.map((l) => l.step)).toEqual([1, 2]);
    for (const s of steps) expect(Object.keys(s.extra as object)).toEqual(expect.arrayContaining(['reward', 'rollout_s', 'update_s']));
  }, 300_000);
});
