/**
 * The memory reward with real embeddings: a random-weight GGUF (`squill model create`) embedded by node-llama-cpp.
 * Its vectors mean nothing, so the tests assert what holds for any embedder: exact identities (a text against
 * itself), the mean-of-top-k formula recomputed from the embedder's own vectors, exclusion of the same database,
 * persistence. The gate's rules are checked one by one on plain text.
 */
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/helpers.ts';
import { createModel, openEmbedder, SHAPES, type OpenedEmbedder } from '../../llm/index.ts';
import { openStore } from '../../store/index.ts';
import { bigramTtr, columnMentions, cosine, createReasoningMemory, DEFAULT_GATE, qualityGate } from './memory.ts';

const cacheDir = path.join(os.tmpdir(), 'squill-test-cache');
const COLUMNS = ['name', 'age', 'country', 'singer_id'];
/** 40 distinct words, 3 column mentions */
const GOOD = `The question wants every singer older than forty, so I read the singer table. Its name column gives the answer,
  and the age column filters rows above forty. No join is needed because country plays no part here; one simple
  select with a where clause is enough.`;

describe('quality gate', () => {
  it('passes a reasoning of 30-2000 words with 2+ column mentions, varied bigrams and no near-duplicate', () => {
    expect(qualityGate(GOOD, COLUMNS, null)).toEqual({ pass: true, failed: null, detail: 'passes' });
    expect(DEFAULT_GATE).toEqual({ minWords: 30, maxWords: 2000, minColumnMentions: 2, minBigramTtr: 0.6, maxSimilarity: 0.9 });
  });

  it('words: 30 to 2000', () => {
    const words = (n: number) => Array.from({ length: n }, (_, i) => (i < 2 ? 'name' : `w${i}`)).join(' ');
    expect(qualityGate(words(29), COLUMNS, null).failed).toBe('words');
    expect(qualityGate(words(30), COLUMNS, null).pass).toBe(true);
    expect(qualityGate(words(2000), COLUMNS, null).pass).toBe(true);
    expect(qualityGate(words(2001), COLUMNS, null).failed).toBe('words');
  });

  it('columns: at least 2 whole-word, case-insensitive mentions of the schema columns', () => {
    expect(columnMentions('The Name and the AGE; singer_id, names, agent, name_x', COLUMNS)).toBe(3);
    expect(columnMentions('name name', COLUMNS)).toBe(2); // occurrences, as the authors count them
    const one = GOOD.replace(/\bname\b/, 'label').replace(/\bage\b/, 'years');
    expect(columnMentions(one, COLUMNS)).toBe(1);
    expect(qualityGate(one, COLUMNS, null).failed).toBe('columns');
    expect(qualityGate(GOOD, [], null).failed).toBe('columns');
  });

  it('bigrams: a type-token ratio of 0.6 or more', () => {
    expect(bigramTtr('a b a b')).toBeCloseTo(2 / 3, 12);
    expect(bigramTtr('a')).toBe(0);
    const looping = `${GOOD} ${'the name is the age '.repeat(20)}`;
    expect(bigramTtr(looping)).toBeLessThan(0.6);
    expect(qualityGate(looping, COLUMNS, null).failed).toBe('bigrams');
  });

  it('duplicates: a cosine of 0.9 or more to the nearest stored reasoning', () => {
    expect(qualityGate(GOOD, COLUMNS, 0.9).failed).toBe('duplicate');
    expect(qualityGate(GOOD, COLUMNS, 0.8999).pass).toBe(true);
    expect(qualityGate(GOOD, COLUMNS, -1).pass).toBe(true);
  });
});

describe('reasoning memory', () => {
  let embedder: OpenedEmbedder;
  const texts = [
    'Join singer and concert on singer_id, then count the concerts of each singer and keep the largest count.',
    'Filter the country table on continent, sum the population column and compare it with the surface area.',
    'Order the stadiums by capacity descending and return the name of the first one only.',
    'Average the age column of the singer table, grouped by country, keeping countries with two or more singers.',
    'Select the distinct languages spoken in countries whose government form is a republic.',
  ];

  beforeAll(async () => {
    const file = path.join(tempDir(), 'embed.gguf');
    createModel({ arch: 'qwen2', shape: SHAPES.tiny!, vocab: 'qwen2', out: file, seed: 3, cacheDir });
    embedder = await openEmbedder(file, { contextSize: 512 });
  }, 120_000);
  afterAll(async () => embedder?.close());

  it('scores 0 while no other database has a stored reasoning', async () => {
    const memory = createReasoningMemory({ embedder });
    expect(await memory.similarity('a', texts[0]!)).toBe(0);
    await memory.seed([{ dbId: 'a', text: texts[0]! }]);
    expect(await memory.similarity('a', texts[0]!)).toBe(0);
    // another database's identical reasoning: the mean of one vector is that vector
    expect(await memory.similarity('b', texts[0]!)).toBeCloseTo(1, 5);
  });

  it('is the cosine to the mean of the top-k nearest reasonings of other databases', async () => {
    const memory = createReasoningMemory({ embedder, topK: 2 });
    const seeds = texts.map((text, i) => ({ dbId: i === 4 ? 'mine' : `db${i}`, text }));
    expect(await memory.seed([...seeds, seeds[0]!])).toBe(5); // the repeat is skipped
    expect(memory.size()).toBe(5);
    const query = 'Count the singers of each country and keep the country with the most singers, using the singer table.';
    const [q, ...vectors] = await embedder.embed([query, ...texts]);
    // recomputed here: other databases only, the 2 nearest by cosine, their mean
    const ranked = vectors.slice(0, 4).map((v) => ({ v, c: cosine(q!, v) })).sort((a, b) => b.c - a.c).slice(0, 2);
    const mean = q!.map((_, i) => (ranked[0]!.v[i]! + ranked[1]!.v[i]!) / 2);
    // float32 storage of the vectors: agreement to 1e-5 (cosines are O(1), float32 keeps ~7 digits)
    expect(await memory.similarity('mine', query)).toBeCloseTo(cosine(q!, mean), 5);
  });

  it('grows by offered reasonings that pass the gate, and refuses a repeat as a near-duplicate', async () => {
    const memory = createReasoningMemory({ embedder });
    expect(await memory.offer({ dbId: 'a', text: 'too short', schemaColumns: COLUMNS })).toMatchObject({ pass: false, failed: 'words' });
    expect(memory.size()).toBe(0);
    expect(await memory.offer({ dbId: 'a', text: GOOD, schemaColumns: COLUMNS })).toMatchObject({ pass: true });
    expect(memory.size()).toBe(1);
    // the same text from another database: cosine 1 to the stored one
    expect(await memory.offer({ dbId: 'b', text: GOOD, schemaColumns: COLUMNS })).toMatchObject({ pass: false, failed: 'duplicate' });
    expect(memory.size()).toBe(1);
  });

  it('persists in the app store per embedding model', async () => {
    const dir = tempDir();
    const store = openStore(dir);
    const memory = createReasoningMemory({ embedder, store });
    await memory.seed(texts.map((text, i) => ({ dbId: `db${i}`, text })));
    const before = await memory.similarity('db0', texts[0]!);
    store.close();

    const reopened = openStore(dir);
    const again = createReasoningMemory({ embedder, store: reopened });
    expect(again.size()).toBe(5);
    expect(await again.similarity('db0', texts[0]!)).toBe(before);
    expect(await again.seed([{ dbId: 'db1', text: texts[1]! }])).toBe(0);
    const other = createReasoningMemory({ embedder: { id: 'another-model', embed: (t) => embedder.embed(t) }, store: reopened });
    expect(other.size()).toBe(0);
    reopened.close();
  });
});
