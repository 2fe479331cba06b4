/** The sample preview counts what training will see: the method builders' own samples. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileDbHandle, type DbHandle } from '../../ai/index.ts';
import { createSandboxPool, type SandboxPool } from '../../db/index.ts';
import { buildSamples } from '../methods/index.ts';
import { previewDataset } from './samplePreview.ts';

const DEMO = path.resolve(import.meta.dirname, '../../../../resources/demo');
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

let pool: SandboxPool;
beforeAll(() => {
  pool = createSandboxPool({ size: 1 });
});
afterAll(async () => {
  await pool.close();
});

describe('preview', () => {
  it('counts the tokens of the method\'s real samples', async () => {
    const singer = path.join(DEMO, 'concert_singer.sqlite');
    const examples = [
      { id: 'p1', question: 'How many singers?', sql: 'SELECT count(*) FROM singer', evidence: null, dbId: 'concert_singer', dbPath: singer },
      { id: 'p2', question: 'Stadium names', sql: 'SELECT Name FROM stadium', evidence: null, dbId: 'concert_singer', dbPath: singer },
    ];
    const handle = fileDbHandle(pool, singer, 'concert_singer');
    const db = (): Promise<DbHandle> => handle;
    const p = await previewDataset(examples, words, { method: 'sft', db, options: { schemaBudget: 4000 } });
    const samples = await buildSamples('sft', examples, db, { count: async (t) => words(t), schemaBudget: 4000, seed: 0 });
    expect(p.totals.samples).toBe(2);
    expect(p.examples.map((e) => e.targetTokens)).toEqual(samples.map((s) => words(s.target)));
    expect(p.examples.map((e) => e.promptTokens)).toEqual(samples.map((s) => words(s.messages[0]!.content)));
    expect(p.totals.promptTokens).toBe(p.examples[0]!.promptTokens + p.examples[1]!.promptTokens);
    const r = await previewDataset(examples, words, { method: 'route', db, options: { schemaBudget: 4000 } });
    expect(r.totals.byTask.cw).toBe(2);
    expect(r.totals.samples).toBeGreaterThan(10);
  });
});
