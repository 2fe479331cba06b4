import { describe, expect, it } from 'vitest';
import { formatReward, MIN_REASONING_CHARS } from './format.ts';

const REASONING = 'The question asks for singer names, so I select name from singer and keep rows whose age is above thirty.';
const SQL = 'SELECT name FROM singer WHERE age > 30';

describe('format reward F', () => {
  it('is 1 for <think> reasoning </think> SQL, with the reasoning and the SQL read out', () => {
    expect(REASONING.length).toBeGreaterThan(MIN_REASONING_CHARS);
    const v = formatReward(`  \n<think>\n${REASONING}\n</think>\n${SQL};`);
    expect(v).toEqual({ format: 1, reasoning: REASONING, sql: SQL, problem: null });
    // the answer goes through extractSql: a fence and a trailing statement are dropped
    expect(formatReward(`<think>${REASONING}</think>\n\`\`\`sql\n${SQL};\nSELECT 2;\n\`\`\``).sql).toBe(SQL);
  });

  it.each([
    ['no think block', SQL],
    ['text before <think>', `Sure! <think>${REASONING}</think> ${SQL}`],
    ['two <think>', `<think>${REASONING}<think></think> ${SQL}`],
    ['two </think>', `<think>${REASONING}</think></think> ${SQL}`],
    ['</think> first', `</think>${REASONING}<think> ${SQL}`],
    ['no </think>', `<think>${REASONING} ${SQL}`],
    ['reasoning of exactly 100 characters', `<think>${'x'.repeat(100)}</think> ${SQL}`],
    ['short reasoning padded with spaces', `<think>   ${'x'.repeat(100)}   </think> ${SQL}`],
    ['no SQL', `<think>${REASONING}</think>  \n `],
  ])('is 0 with %s', (_what, completion) => {
    const v = formatReward(completion);
    expect(v.format).toBe(0);
    expect(v.problem).toBeTruthy();
  });

  it('counts 101 characters as enough', () => {
    expect(formatReward(`<think>${'x'.repeat(101)}</think> ${SQL}`).format).toBe(1);
  });
});
