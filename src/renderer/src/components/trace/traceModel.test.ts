import { describe, expect, it } from 'vitest';
import type { TraceStep } from '../../../../shared/contract/index.ts';
import { applyProgress, linkedOf, splitReasoning, sqlChanges, toJson, type LiveStep } from './traceModel.ts';

const step = (index: number, over: Partial<TraceStep> = {}): TraceStep => ({
  index,
  kind: 'sql',
  title: `Step ${index}`,
  prompt: null,
  messages: null,
  promptTokens: null,
  output: null,
  reasoning: null,
  parsed: null,
  sql: null,
  sampling: null,
  grammar: null,
  tokensIn: 0,
  tokensOut: 0,
  ms: 1,
  modelMs: 0,
  executions: [],
  decision: null,
  vote: null,
  linked: null,
  skipped: null,
  ...over,
});

describe('trace view model', () => {
  it('sets reasoning apart from the answer', () => {
    expect(splitReasoning('<think>count them</think>\nSELECT 1', null)).toEqual({ reasoning: 'count them', answer: 'SELECT 1' });
    // cut off by maxTokens: the open block is all reasoning
    expect(splitReasoning('<think>still thinking', null)).toEqual({ reasoning: 'still thinking', answer: '' });
    expect(splitReasoning('SELECT 1', null)).toEqual({ reasoning: null, answer: 'SELECT 1' });
    // the backend's own split wins
    expect(splitReasoning('<think>a</think>SELECT 2', 'b')).toEqual({ reasoning: 'b', answer: 'SELECT 2' });
    expect(splitReasoning(null, null)).toEqual({ reasoning: null, answer: null });
  });

  it('finds where the SQL changed between steps, ignoring spacing and steps without SQL', () => {
    const changes = sqlChanges([
      step(0, { sql: 'SELECT name FROM singer' }),
      step(1),
      step(2, { sql: 'SELECT  name\nFROM singer' }),
      step(3, { sql: 'SELECT name FROM singer WHERE age > 30' }),
    ]);
    expect([...changes.keys()]).toEqual([3]);
    expect(changes.get(3)).toMatchObject({ fromIndex: 2, toIndex: 3, after: 'SELECT name FROM singer WHERE age > 30' });
  });

  it('collects the linked tables and columns case-insensitively, a column implying its table', () => {
    const linked = linkedOf([
      step(0, { linked: { tables: ['Singer'], columns: [{ table: 'singer', column: 'Name' }] } }),
      step(1, { linked: { tables: [], columns: [{ table: 'concert', column: 'Year' }] } }),
    ]);
    expect([...linked.tables.entries()]).toEqual([
      ['singer', [0]],
      ['concert', [1]],
    ]);
    expect([...linked.columns.keys()]).toEqual(['singer.name', 'concert.year']);
  });

  it('shows parsed values as JSON', () => {
    expect(toJson(undefined)).toBeNull();
    expect(toJson('SELECT 1')).toBe('SELECT 1');
    expect(toJson({ tables: ['a'] })).toBe('{\n  "tables": [\n    "a"\n  ]\n}');
  });

  it('builds the live steps from progress events in any order', () => {
    let steps: LiveStep[] = [];
    steps = applyProgress(steps, { type: 'step-start', askId: 'x', index: 0, kind: 'schema_link', title: 'Link the schema' });
    steps = applyProgress(steps, { type: 'tokens', askId: 'x', index: 0, text: 'sin' });
    steps = applyProgress(steps, { type: 'tokens', askId: 'x', index: 0, text: 'ger' });
    expect(steps).toEqual([{ index: 0, kind: 'schema_link', title: 'Link the schema', text: 'singer', step: null }]);
    // tokens before their step-start still land in their step
    steps = applyProgress(steps, { type: 'tokens', askId: 'x', index: 1, text: 'SELECT' });
    steps = applyProgress(steps, { type: 'step-end', askId: 'x', step: step(0, { kind: 'schema_link', title: 'Link the schema' }) });
    steps = applyProgress(steps, { type: 'step-start', askId: 'x', index: 1, kind: 'sql', title: 'Write the SQL' });
    expect(steps.map((s) => [s.index, s.kind, s.text, s.step !== null])).toEqual([
      [0, 'schema_link', 'singer', true],
      [1, 'sql', 'SELECT', false],
    ]);
  });
});
