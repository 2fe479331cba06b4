/**
 * The decoding grammars, compiled by the real node-llama-cpp and sampled by a random-weight model with a real
 * tokenizer: every sample must end by itself, parse as SQLite and name only real tables and columns. With the
 * Spider benchmark at /work/shared/bench/spider (not in CI), also every dev database and the share of gold queries
 * the SQL grammar accepts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LlamaGrammar, LlamaModel } from 'node-llama-cpp';
import { parse } from 'sql-parser-cst';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbSchema } from '../../shared/contract/index.ts';
import { identifierName, significant, tokenize } from '../../shared/sql/tokenize.ts';
import { grammarAccepts, schemaOfFile } from '../../../test/helpers.ts';
import { createModel, getLlama, type GrammarSpec, openLocalTextModel, SHAPES, type TextModel } from '../llm/index.ts';
import { gbnfTrie, schemaLinkJsonGrammar, sqlGrammar, sqlIdentifier, tableListGrammar } from './grammar.ts';
import { longestText } from './grammarCheck.ts';
import { checkScopes } from './scope.ts';

const DEMO = path.resolve(import.meta.dirname, '../../../resources/demo');
const SPIDER = '/work/shared/bench/spider';
const cacheDir = path.join(os.tmpdir(), 'squill-test-cache');

const schemaOf = schemaOfFile;
const demoSchemas = () =>
  fs
    .readdirSync(DEMO)
    .filter((f) => f.endsWith('.sqlite'))
    .map((f) => [f, schemaOf(path.join(DEMO, f))] as const);

async function compile(spec: GrammarSpec): Promise<LlamaGrammar> {
  const llama = await getLlama();
  return spec.kind === 'gbnf' ? llama.createGrammar({ grammar: spec.source }) : llama.createGrammarForJsonSchema(spec.schema as never);
}
const accepts = grammarAccepts;

const SQL_WORDS = new Set(
  'SELECT DISTINCT FROM AS JOIN INNER LEFT ON WHERE AND OR NOT BETWEEN LIKE IN IS NULL EXISTS GROUP BY HAVING ORDER ASC DESC LIMIT OFFSET UNION ALL INTERSECT EXCEPT COUNT SUM AVG MIN MAX'.split(' '),
);

/** The names an SQL text uses that are neither keywords, aliases nor real tables/columns of the schema. */
function unknownNames(sql: string, schema: DbSchema): string[] {
  const names = new Set([...schema.tables, ...schema.views].flatMap((t) => [t.name, ...t.columns.map((c) => c.name)]));
  return significant(tokenize(sql))
    .filter((t) => t.type === 'quoted' || (t.type === 'word' && !SQL_WORDS.has(t.text.toUpperCase()) && !/^[Tt][1-9]$/.test(t.text)))
    .map(identifierName)
    .filter((n) => !names.has(n));
}

describe('grammar building blocks', () => {
  it('quotes identifiers only when SQLite needs it and writes tries GBNF reads', async () => {
    expect(sqlIdentifier('Singer_ID')).toBe('Singer_ID');
    expect(sqlIdentifier('order')).toBe('"order"');
    expect(sqlIdentifier('Free Meal Count (K-12)')).toBe('"Free Meal Count (K-12)"');
    expect(sqlIdentifier('a"b')).toBe('"a""b"');
    const llama = await getLlama();
    const words = ['id', 'id2', 'idx', 'name', '"a b"', 'ñandú'];
    const grammar = await llama.createGrammar({ grammar: `root ::= ${gbnfTrie(words)}\n` });
    for (const w of words) expect(accepts(grammar, w)).toBe(true);
    for (const w of ['i', 'id3', 'names', '']) expect(accepts(grammar, w)).toBe(false);
  });
});

describe('sqlGrammar', () => {
  it('compiles for the demo databases; every derivation is finite and short', async () => {
    for (const [file, schema] of demoSchemas()) {
      for (const options of [{}, { afterSelect: true }, { reasoning: true }]) {
        const spec = sqlGrammar(schema, options);
        await expect(compile(spec), file).resolves.toBeDefined();
        // the header of grammar.ts states this bound
        expect(longestText(spec.kind === 'gbnf' ? spec.source : ''), `${file} ${JSON.stringify(options)}`).toBeLessThan(6000);
      }
      const link = await compile(schemaLinkJsonGrammar(schema));
      // node-llama-cpp ends its JSON grammars with newlines without bound and stops at its trigger of four of them
      expect(longestText(link.grammar.replace(/ \[\\n\]\*$/m, ''))).toBeLessThan(5000);
      const list = tableListGrammar(schema.tables.map((t) => t.name));
      await compile(list);
      expect(longestText(list.kind === 'gbnf' ? list.source : '')).toBeLessThan(300);
    }
  });

  it('accepts the SELECTs text-to-SQL needs and refuses anything else', async () => {
    const schema = schemaOf(path.join(DEMO, 'concert_singer.sqlite'));
    const grammar = await compile(sqlGrammar(schema));
    const good = [
      'SELECT count(*) FROM singer',
      'SELECT DISTINCT T1.Name, T2.Capacity FROM singer AS T1 JOIN stadium AS T2 ON T1.Singer_ID = T2.Stadium_ID WHERE T2.Capacity BETWEEN 100 AND 2000.5 ORDER BY T1.Age DESC LIMIT 3;',
      "SELECT Name FROM singer WHERE Country LIKE '%Fr''ance%' AND Age IS NOT NULL OR NOT Age IN (1, 2, 3)",
      'SELECT Name FROM singer WHERE Age > (SELECT avg(Age) FROM singer)',
      'select Name from singer where Singer_ID not in (select Singer_ID from singer_in_concert)',
      'SELECT Country, COUNT(DISTINCT Name), max(Age) - min(Age) FROM singer GROUP BY Country HAVING count(*) > 1',
      'SELECT Name FROM singer INTERSECT SELECT Name FROM stadium',
      'SELECT singer.* FROM singer LIMIT 5 OFFSET 10',
    ];
    for (const sql of good) expect(accepts(grammar, sql), sql).toBe(true);
    const bad = [
      'SELECT nope FROM singer', // not a column
      'SELECT Name FROM singers', // not a table
      'SELECT Name FROM singer; SELECT 1', // two statements
      'DELETE FROM singer',
      "SELECT Name FROM singer WHERE Name = 'an unbounded literal that runs on and on and on and on'",
      'SELECT Name FROM singer WHERE Age > (SELECT Age FROM singer WHERE Age > (SELECT 1 FROM singer))', // depth 2
      'SELECT Name FROM singer AS T10',
    ];
    for (const sql of bad) expect(accepts(grammar, sql), sql).toBe(false);
    const after = await compile(sqlGrammar(schema, { afterSelect: true }));
    expect(accepts(after, 'Name FROM singer')).toBe(true);
    expect(accepts(after, 'SELECT Name FROM singer')).toBe(false);
    const reasoning = await compile(sqlGrammar(schema, { reasoning: true, maxReasoningChars: 40 }));
    expect(accepts(reasoning, '<think>\nthe singers table.</think>\nSELECT count(*) FROM singer')).toBe(true);
    expect(accepts(reasoning, `<think>${'x'.repeat(41)}</think>\nSELECT count(*) FROM singer`)).toBe(false);
  });

  it('names only the given tables in the LR-SQL table list', async () => {
    const grammar = await compile(tableListGrammar(['singer', 'stadium', 'concert']));
    for (const text of ['-- Tables: singer, concert;', '#None#', '-- Tables: stadium;']) expect(accepts(grammar, text), text).toBe(true);
    for (const text of ['-- Tables: singers;', '-- Tables: ;', 'singer']) expect(accepts(grammar, text), text).toBe(false);
  });
});

describe('sampling under the grammars with a random model', () => {
  let model: TextModel;
  let dir = '';
  let loaded: LlamaModel | undefined;
  const schema = schemaOf(path.join(DEMO, 'concert_singer.sqlite'));
  const question = [{ role: 'user' as const, content: 'How many singers are there?' }];
  const sample = (grammar: GrammarSpec, seed: number, prefix?: string) =>
    model.generate({ messages: question, grammar, temperature: 1, topP: 1, topK: 0, maxTokens: 400, seed, prefix });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-grammar-'));
    const file = path.join(dir, 'tiny.gguf');
    createModel({ arch: 'qwen2', shape: SHAPES.tiny!, vocab: 'qwen2', out: file, seed: 11, cacheDir });
    const llama = await getLlama();
    loaded = await llama.loadModel({ modelPath: file });
    model = await openLocalTextModel(loaded, { name: 'tiny', sha256: null, contextSize: 1024 });
  }, 120_000);
  afterAll(async () => {
    await model?.dispose();
    await loaded?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const checkSql = (sql: string) => {
    expect(() => parse(sql, { dialect: 'sqlite' }), sql).not.toThrow();
    expect(unknownNames(sql, schema), sql).toEqual([]);
  };

  it('always ends with one SELECT over real tables and columns', async () => {
    const grammar = sqlGrammar(schema);
    for (let seed = 1; seed <= 20; seed++) {
      const g = await sample(grammar, seed);
      expect(g.stopReason, g.text).toBe('eos');
      checkSql(g.text);
    }
    const after = sqlGrammar(schema, { afterSelect: true });
    for (let seed = 1; seed <= 3; seed++) {
      const g = await sample(after, seed, 'SELECT ');
      expect(g.stopReason, g.text).toBe('eos');
      expect(g.text.startsWith('SELECT ')).toBe(true);
      checkSql(g.text);
    }
    const reasoning = sqlGrammar(schema, { reasoning: true, maxReasoningChars: 40 });
    for (let seed = 1; seed <= 3; seed++) {
      const g = await sample(reasoning, seed);
      expect(g.stopReason, g.text).toBe('eos');
      const m = /^<think>([^<]*)<\/think>\n([\s\S]*)$/.exec(g.text);
      expect(m, g.text).not.toBeNull();
      checkSql(m![2]!);
    }
  }, 300_000);

  it('always ends with schema-linking JSON and table lists that name real objects', async () => {
    const link = schemaLinkJsonGrammar(schema);
    const list = tableListGrammar(schema.tables.map((t) => t.name));
    for (let seed = 1; seed <= 3; seed++) {
      const g = await sample(link, seed);
      expect(g.stopReason, g.text).not.toBe('maxTokens'); // 'stop': node-llama-cpp's trigger at the end of JSON
      const value = JSON.parse(g.text) as { tables: { table: string; columns: string[] }[] };
      for (const entry of value.tables) {
        const table = schema.tables.find((t) => t.name === entry.table);
        expect(table, entry.table).toBeDefined();
        for (const c of entry.columns) expect(table!.columns.map((x) => x.name)).toContain(c);
      }
      const l = await sample(list, seed);
      expect(l.stopReason, l.text).toBe('eos');
      expect(l.text).toMatch(/^(#None#|-- Tables: [\w, ]+;)$/);
      if (l.text !== '#None#') for (const name of l.text.slice(11, -1).split(', ')) expect(schema.tables.map((t) => t.name)).toContain(name);
    }
  }, 300_000);
});

/**
 * Spider's gold SQL in the grammar's spelling, which changes nothing SQLite reads: single spaces, keywords upper
 * case, identifiers in the schema's case, "text" literals as 'text' (SQLite reads an unknown "name" as a string).
 */
function normalizeGold(sql: string, schema: DbSchema): string {
  const tables = new Map(schema.tables.map((t) => [t.name.toLowerCase(), sqlIdentifier(t.name)]));
  const columns = new Map(schema.tables.flatMap((t) => t.columns.map((c) => [c.name.toLowerCase(), sqlIdentifier(c.name)] as const)).reverse());
  const tokens = significant(tokenize(sql.trim().replace(/;\s*$/, '')));
  let out = '';
  let prev = '';
  tokens.forEach((t, k) => {
    let text = t.text;
    const next = tokens[k + 1]?.text;
    if (t.type === 'word' && SQL_WORDS.has(text.toUpperCase())) text = text.toUpperCase();
    else if (t.type === 'word' && /^t[1-9]$/i.test(text)) text = text.toUpperCase();
    else if (t.type === 'word' || t.type === 'quoted') {
      const low = identifierName(t).toLowerCase();
      const table = tables.get(low);
      const column = columns.get(low);
      if (next === '.' || prev === 'FROM' || prev === 'JOIN') text = table ?? column ?? text;
      else if (column ?? table) text = (column ?? table)!;
      else if (t.type === 'quoted' && t.text.startsWith('"')) text = `'${identifierName(t).replaceAll("'", "''")}'`;
    }
    const glue = out === '' || text === ',' || text === ')' || text === '.' || prev === '(' || prev === '.' || (text === '(' && /^(COUNT|SUM|AVG|MIN|MAX)$/.test(prev));
    out += (glue ? '' : ' ') + text;
    prev = text;
  });
  return out;
}

describe.skipIf(!fs.existsSync(path.join(SPIDER, 'dev_gold.sql')))('Spider dev (local benchmark copy)', () => {
  it('compiles for every dev database and accepts most gold queries', async () => {
    const golds = fs
      .readFileSync(path.join(SPIDER, 'dev_gold.sql'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split('\t') as [string, string]);
    const byDb = new Map<string, { schema: DbSchema; grammar: LlamaGrammar } | null>();
    let total = 0;
    let raw = 0;
    let normalized = 0;
    let longest = 0;
    let resolved = 0;
    let scopedAccepted = 0;
    let longestScoped = 0;
    const rejected: string[] = [];
    const unresolved: string[] = [];
    const scopedGrammars = new Map<string, LlamaGrammar>();
    const rejectedScoped: string[] = [];
    for (const [sql, dbId] of golds) {
      if (!byDb.has(dbId)) {
        const file = path.join(SPIDER, 'database', dbId, `${dbId}.sqlite`);
        if (!fs.existsSync(file)) {
          byDb.set(dbId, null);
          continue;
        }
        const schema = schemaOf(file);
        const spec = sqlGrammar(schema);
        longest = Math.max(longest, longestText(spec.kind === 'gbnf' ? spec.source : ''));
        await compile(sqlGrammar(schema, { reasoning: true }));
        await compile(schemaLinkJsonGrammar(schema));
        await compile(tableListGrammar(schema.tables.map((t) => t.name)));
        byDb.set(dbId, { schema, grammar: await compile(spec) });
      }
      const db = byDb.get(dbId);
      if (!db) continue;
      total++;
      if (accepts(db.grammar, sql.trim().replace(/\s+/g, ' '))) raw++;
      const text = normalizeGold(sql, db.schema);
      if (accepts(db.grammar, text)) normalized++;
      else {
        rejected.push(`${dbId}: ${text}`);
        continue;
      }
      // an accepted gold resolves (so the draft is kept as is), and the grammar scoped to its own FROM clauses
      // (the second pass) accepts it too
      const report = checkScopes(text, db.schema);
      if (report.problems.length === 0) resolved++;
      else unresolved.push(`${dbId}: ${report.problems.join('; ')}: ${text}`);
      if (!report.scopes) continue;
      const spec = sqlGrammar(db.schema, { scope: report.scopes });
      longestScoped = Math.max(longestScoped, longestText(spec.kind === 'gbnf' ? spec.source : ''));
      const key = spec.kind === 'gbnf' ? spec.source : '';
      if (!scopedGrammars.has(key)) scopedGrammars.set(key, await compile(spec));
      if (accepts(scopedGrammars.get(key)!, text)) scopedAccepted++;
      else rejectedScoped.push(`${dbId}: ${text}`);
    }
    const pct = (n: number) => `${((100 * n) / total).toFixed(1)}%`;
    console.log(
      `Spider dev: ${total} gold queries over ${[...byDb.values()].filter(Boolean).length} databases; the SQL grammar accepts ${pct(raw)} as written, ` +
        `${pct(normalized)} after normalizing spelling; longest derivation ${longest} characters. Of the accepted, ` +
        `${resolved} resolve in scope and ${scopedAccepted} are accepted by the grammar scoped to their own FROM clauses (longest ${longestScoped}).` +
        `\nRejected:\n${[...new Set(rejected)].join('\n')}\nUnresolved:\n${[...new Set(unresolved)].join('\n')}\nRejected when scoped:\n${[...new Set(rejectedScoped)].join('\n')}`,
    );
    expect(normalized / total).toBeGreaterThan(0.98);
    // golds name what is in scope; a few use a construct the scoped grammar leaves out (correlated bare columns)
    expect(resolved / normalized).toBeGreaterThan(0.98);
    expect(scopedAccepted / normalized).toBeGreaterThan(0.98);
    expect(longestScoped).toBeLessThan(6000);
    expect(longest).toBeLessThan(6000);
  }, 120_000);
});
