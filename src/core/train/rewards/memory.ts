/**
 * FINER-SQL's memory reward M (optional; off by default, as in the authors' best joint run): a sample whose result
 * is right gets 1; any other gets the cosine similarity of its reasoning's embedding to the mean of the top-k (20)
 * stored correct reasonings of OTHER databases nearest to it (0 while there are none). It rewards reasoning that
 * looks like reasoning which worked elsewhere, without leaking the same database's answers.
 *
 * The memory starts with correct traces (`seed`: a teacher's, or stage 0's) and grows with correct rollouts that
 * pass a quality gate (`offer`): 30-2000 words, at least 2 mentions of the schema's columns, a bigram type-token
 * ratio of at least 0.6 (no loops), and a cosine below 0.9 to the nearest stored reasoning (no near-duplicates).
 * Entries live in the app store (table reasoning_memory) per embedding model: vectors of two models never mix.
 *
 * Differences from the authors' memory/compute_intrinsic_reward.py: their gate also wants a schema density
 * (mentions per word) of 0.05, which the issue leaves out, and reads the columns from the prompt's `table.column:`
 * lines, where here the caller passes the schema's columns. Their retrieval is Chroma's nearest neighbours; here an
 * exact scan (a training run's memory is thousands of entries at most).
 */
import type { Store } from '../../store/index.ts';
import type { Embedder } from '../../llm/index.ts';

export interface GateSettings {
  minWords: number;
  maxWords: number;
  minColumnMentions: number;
  minBigramTtr: number;
  /** a reasoning this similar (cosine) to a stored one, or more, is a near-duplicate */
  maxSimilarity: number;
}

export const DEFAULT_GATE: GateSettings = { minWords: 30, maxWords: 2000, minColumnMentions: 2, minBigramTtr: 0.6, maxSimilarity: 0.9 };
export const DEFAULT_TOP_K = 20;

export interface GateVerdict {
  pass: boolean;
  /** the first rule that failed */
  failed: 'words' | 'columns' | 'bigrams' | 'duplicate' | null;
  detail: string;
}

const words = (text: string) => text.trim().split(/\s+/).filter(Boolean);

/** how often the schema's column names occur in the text as whole words (case-insensitive) */
export function columnMentions(text: string, columns: string[]): number {
  const lowered = text.toLowerCase();
  let hits = 0;
  for (const column of new Set(columns.map((c) => c.toLowerCase()).filter(Boolean))) {
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}_])${column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}_])`, 'gu');
    hits += lowered.match(pattern)?.length ?? 0;
  }
  return hits;
}

/** distinct word bigrams over all bigrams (lower-cased words; 0 without a bigram) */
export function bigramTtr(text: string): number {
  const tokens = words(text.toLowerCase());
  if (tokens.length < 2) return 0;
  const seen = new Set<string>();
  for (let i = 1; i < tokens.length; i++) seen.add(`${tokens[i - 1]}\u0000${tokens[i]}`);
  return seen.size / (tokens.length - 1);
}

/** The text rules of the gate (cheap, no embedding); `nearest` is the cosine to the nearest stored one (null: none). */
export function qualityGate(text: string, schemaColumns: string[], nearest: number | null, gate: GateSettings = DEFAULT_GATE): GateVerdict {
  const n = words(text).length;
  if (n < gate.minWords || n > gate.maxWords) return { pass: false, failed: 'words', detail: `${n} words (${gate.minWords}-${gate.maxWords} wanted)` };
  const mentions = columnMentions(text, schemaColumns);
  if (mentions < gate.minColumnMentions) return { pass: false, failed: 'columns', detail: `${mentions} schema column mention(s) (${gate.minColumnMentions} wanted)` };
  const ttr = bigramTtr(text);
  if (ttr < gate.minBigramTtr) return { pass: false, failed: 'bigrams', detail: `bigram type-token ratio ${ttr.toFixed(3)} (${gate.minBigramTtr} wanted)` };
  if (nearest !== null && nearest >= gate.maxSimilarity) return { pass: false, failed: 'duplicate', detail: `cosine ${nearest.toFixed(3)} to a stored reasoning (below ${gate.maxSimilarity} wanted)` };
  return { pass: true, failed: null, detail: 'passes' };
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

interface Entry {
  dbId: string;
  text: string;
  vector: Float32Array;
}

export interface ReasoningMemory {
  readonly embedderId: string;
  size(): number;
  /** adds correct traces without the gate (exact repeats skipped); resolves to how many were added */
  seed(traces: { dbId: string; text: string }[]): Promise<number>;
  /** M for a sample whose result is not right: cosine to the mean of the top-k other databases' reasonings */
  similarity(dbId: string, text: string, topK?: number): Promise<number>;
  /** a correct rollout's reasoning: added when it passes the gate (the memory's own unless one is given) */
  offer(trace: { dbId: string; text: string; schemaColumns: string[] }, gate?: GateSettings): Promise<GateVerdict>;
}

export interface MemoryOptions {
  embedder: Embedder;
  /** where entries persist (table reasoning_memory); in memory only without one */
  store?: Store;
  /** defaults of similarity() and offer() */
  topK?: number;
  gate?: GateSettings;
}

const toBlob = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const fromBlob = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

/** Opens the memory of one embedding model: the store's entries for it are loaded, new ones written through. */
export function createReasoningMemory(o: MemoryOptions): ReasoningMemory {
  const topK = o.topK ?? DEFAULT_TOP_K;
  const gate = o.gate ?? DEFAULT_GATE;
  const id = o.embedder.id;
  const entries: Entry[] = [];
  const keys = new Set<string>();
  const keyOf = (dbId: string, text: string) => `${dbId}\u0000${text}`;
  if (o.store) {
    const rows = o.store.db.prepare('SELECT db_id, text, embedding FROM reasoning_memory WHERE model = ? ORDER BY id').all(id) as { db_id: string; text: string; embedding: Buffer }[];
    for (const r of rows) {
      entries.push({ dbId: r.db_id, text: r.text, vector: fromBlob(r.embedding) });
      keys.add(keyOf(r.db_id, r.text));
    }
  }
  const insert = o.store?.db.prepare('INSERT OR IGNORE INTO reasoning_memory (db_id, text, embedding, model, created) VALUES (?, ?, ?, ?, ?)');

  // a sample's reasoning is embedded once for similarity() and again for offer(): keep the last few
  const recent = new Map<string, Float32Array>();
  const embed = async (texts: string[]): Promise<Float32Array[]> => {
    const missing = [...new Set(texts.filter((t) => !recent.has(t)))];
    if (missing.length) {
      const vectors = await o.embedder.embed(missing);
      missing.forEach((t, i) => recent.set(t, Float32Array.from(vectors[i]!)));
      while (recent.size > 256) recent.delete(recent.keys().next().value!);
    }
    return texts.map((t) => recent.get(t)!);
  };
  const add = (dbId: string, text: string, vector: Float32Array) => {
    entries.push({ dbId, text, vector });
    keys.add(keyOf(dbId, text));
    insert?.run(dbId, text, toBlob(vector), id, new Date().toISOString());
  };

  return {
    embedderId: id,
    size: () => entries.length,
    async seed(traces) {
      const fresh = traces.filter((t, i) => t.text.trim() && !keys.has(keyOf(t.dbId, t.text)) && traces.findIndex((u) => u.dbId === t.dbId && u.text === t.text) === i);
      if (!fresh.length) return 0;
      const vectors = await embed(fresh.map((t) => t.text));
      fresh.forEach((t, i) => add(t.dbId, t.text, vectors[i]!));
      return fresh.length;
    },
    async similarity(dbId, text, k = topK) {
      const others = entries.filter((e) => e.dbId !== dbId);
      if (!others.length || !text.trim()) return 0;
      const [query] = await embed([text]);
      const nearest = others
        .map((e) => ({ e, c: cosine(query!, e.vector) }))
        .sort((a, b) => b.c - a.c)
        .slice(0, k);
      const mean = new Float64Array(query!.length);
      for (const { e } of nearest) for (let i = 0; i < mean.length; i++) mean[i]! += e.vector[i]! / nearest.length;
      return cosine(query!, mean);
    },
    async offer({ dbId, text, schemaColumns }, rules = gate) {
      const cheap = qualityGate(text, schemaColumns, null, rules);
      if (!cheap.pass) return cheap;
      const [vector] = await embed([text]);
      let nearest: number | null = null;
      for (const e of entries) nearest = Math.max(nearest ?? -1, cosine(vector!, e.vector));
      const verdict = qualityGate(text, schemaColumns, nearest, rules);
      if (verdict.pass) add(dbId, text, vector!);
      return verdict;
    },
  };
}
