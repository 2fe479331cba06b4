/**
 * FINER-SQL's format reward F: the completion is `<think> reasoning </think>` then one SQL. F = 0 zeroes the whole
 * reward, so a policy cannot collect execution credit while dropping its reasoning.
 *
 * As the issue states it (and the authors' has_format_bonus): exactly one `<think>` and one `</think>`, in that
 * order, nothing but whitespace before `<think>`, the reasoning (between the tags, trimmed) longer than 100
 * characters, and a non-empty SQL after `</think>`. The SQL is read by the same parser inference uses
 * (`parse.extractSql`: code fences and prose before SELECT/WITH dropped, the first statement kept), where the
 * authors take the whole trimmed text after `</think>`.
 */
import { parse } from '../../ai/index.ts';

export const MIN_REASONING_CHARS = 100;

export interface FormatVerdict {
  format: 0 | 1;
  /** the reasoning between the tags (trimmed), null without a well-formed think block */
  reasoning: string | null;
  /** the SQL the completion answers with ('' when there is none) */
  sql: string;
  /** why F = 0, null when F = 1 */
  problem: string | null;
}

const count = (text: string, tag: string) => text.split(tag).length - 1;

export function formatReward(completion: string): FormatVerdict {
  const sql = parse.extractSql(completion);
  const opens = count(completion, '<think>');
  const closes = count(completion, '</think>');
  const fail = (problem: string, reasoning: string | null = null): FormatVerdict => ({ format: 0, reasoning, sql, problem });
  if (opens !== 1 || closes !== 1) return fail(`expected one <think> and one </think>, found ${opens} and ${closes}`);
  const open = completion.indexOf('<think>');
  if (completion.slice(0, open).trim() !== '') return fail('text before <think>');
  if (completion.indexOf('</think>') < open) return fail('</think> before <think>');
  const { reasoning } = parse.splitReasoning(completion);
  const thought = reasoning ?? '';
  if (thought.length <= MIN_REASONING_CHARS) return fail(`reasoning of ${thought.length} characters (more than ${MIN_REASONING_CHARS} needed)`, thought);
  if (!sql) return fail('no SQL after </think>', thought);
  return { format: 1, reasoning: thought, sql, problem: null };
}
