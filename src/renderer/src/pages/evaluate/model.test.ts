import { describe, expect, it } from 'vitest';
import {
  baseName,
  compareGroups,
  elapsedMsOf,
  formatDelta,
  formatExampleScore,
  formatPercent,
  formatScore,
  formatScoreDelta,
  runGroups,
  shortHash,
  sortedReasons,
  verdictOf,
} from './model.ts';

describe('evaluation display rules', () => {
  it('orders Spider hardness and BIRD difficulty as people read them', () => {
    expect(['extra', 'hard', 'easy', 'medium', 'zeta', 'alpha'].sort(compareGroups)).toEqual(['easy', 'medium', 'hard', 'extra', 'alpha', 'zeta']);
    expect(['challenging', 'simple', 'moderate'].sort(compareGroups)).toEqual(['simple', 'moderate', 'challenging']);
    expect(
      runGroups({
        summary: {
          a: { score: 0, count: 0, byGroup: { hard: { score: 0, count: 1 } }, reasons: {} },
          b: { score: 0, count: 0, byGroup: { easy: { score: 0, count: 1 }, hard: { score: 0, count: 1 } }, reasons: {} },
        },
      }),
    ).toEqual(['easy', 'hard']);
  });

  it('reads per-example scores', () => {
    expect(verdictOf(1)).toBe('right');
    expect(verdictOf(0)).toBe('wrong');
    expect(verdictOf(0.4)).toBe('partial');
    expect(verdictOf(null)).toBe('none');
    expect(verdictOf(0.8, 'ves')).toBe('right');
    expect(verdictOf(0, 'rves')).toBe('wrong');
    expect(formatExampleScore('ves', 105.347)).toBe('105.3');
    expect(formatExampleScore('spider_exec', 1)).toBe('✓');
    expect(formatExampleScore('bird_ex', 0)).toBe('✗');
    expect(formatExampleScore('soft_f1', 2 / 3)).toBe('0.667');
    expect(formatExampleScore('soft_f1', null)).toBe('—');
  });

  it('formats scores, deltas and hashes', () => {
    expect(formatPercent(62.5)).toBe('62.5%');
    expect(formatPercent(100)).toBe('100.0%');
    expect(formatDelta(50, 62.5)).toBe('+12.5 pp');
    expect(formatDelta(62.5, 50)).toBe('−12.5 pp');
    expect(formatDelta(50, 50)).toBe('±0.0 pp');
    expect(formatScore('spider_exec', 83.65)).toBe('83.7%');
    expect(formatScore('ves', 85.714)).toBe('85.71');
    expect(formatScoreDelta('ves', 80, 85.5)).toBe('+5.5');
    expect(formatScoreDelta('bird_ex', 80, 85.5)).toBe('+5.5 pp');
    expect(shortHash('a'.repeat(64))).toBe(`${'a'.repeat(12)}…`);
    expect(shortHash('abc')).toBe('abc');
  });

  it('sorts reasons by count', () => {
    expect(sortedReasons({ b: 1, a: 1, c: 5 })).toEqual([
      { code: 'c', count: 5 },
      { code: 'a', count: 1 },
      { code: 'b', count: 1 },
    ]);
  });

  it('takes elapsed time from the run, or from its start while it runs', () => {
    expect(elapsedMsOf({ elapsedMs: 1234, createdAt: '2026-01-01T00:00:00Z', status: 'done' })).toBe(1234);
    expect(elapsedMsOf({ elapsedMs: null, createdAt: '2026-01-01T00:00:00Z', status: 'running' }, Date.parse('2026-01-01T00:00:05Z'))).toBe(5000);
    expect(elapsedMsOf({ elapsedMs: null, createdAt: '2026-01-01T00:00:00Z', status: 'failed' })).toBeNull();
  });

  it('takes the last part of a path', () => {
    expect(baseName('/tmp/preds-qwen.jsonl')).toBe('preds-qwen.jsonl');
    expect(baseName('C:\\x\\run.json')).toBe('run.json');
    expect(baseName('database/concert_singer/concert_singer.sqlite')).toBe('concert_singer.sqlite');
  });
});
