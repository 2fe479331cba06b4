/** `squill reward`: the breakdown as text and JSON, the best of several golds, and exit 2 on bad input. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.ts';
import { shapeAtomic } from '../../core/train/index.ts';
import { EXIT } from '../errors.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const BIN = path.join(ROOT, 'bin', 'squill.js');
const DB = path.join(ROOT, 'resources/demo/concert_singer.sqlite');
const squill = (args: string[], input?: string) => {
  const res = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, env: { ...process.env, SQUILL_DATA_DIR: tempDir() }, timeout: 30_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
};
const GOLD = "SELECT name FROM singer WHERE country = 'France' AND age > 30";
const PRED = `<think>The question asks for the names of French singers older than thirty; the singer table holds name, country and age.</think>
SELECT name FROM singer WHERE country = 'France' AND age > 42`;

describe('squill reward', () => {
  it('prints F, E, J, f(J), M, the total and both sides\' operations', () => {
    const res = squill(['reward', '--db', DB, '--gold', GOLD, '--pred', PRED]);
    expect(res.code).toBe(EXIT.OK);
    // one of the 5 distinct operations differs on each side: J = 3/5
    const f = shapeAtomic(0.6);
    const round = (x: number) => String(Number(x.toFixed(4)));
    expect(res.stdout).toContain(`E      ${round(1 + f)}  (ran, other rows than the gold)`);
    expect(res.stdout).toContain('J      0.6\n');
    expect(res.stdout).toContain(`f(J)   ${round(f)}\n`);
    expect(res.stdout).toContain('M      off');
    expect(res.stdout).toContain(`total  ${round(2 + f)}  (F + E + M)`);
    expect(res.stdout).toContain('John Nizinik');
    expect(res.stdout).toContain('  = FROM(singer as T1)');
    expect(res.stdout).toContain('  + WHERE_PRED(>, age, VALUE(42))');
    expect(res.stdout).toContain('  - WHERE_PRED(>, age, VALUE(30))');
  });

  it('prints the breakdown as JSON, takes several golds and reads the completion from standard input', () => {
    const res = squill(['reward', '--db', DB, '--gold', GOLD, '--gold', "SELECT Name FROM singer WHERE Age > 42 AND Country = 'France'", '--pred', '-', '--json'], PRED);
    expect(res.code).toBe(EXIT.OK);
    const r = JSON.parse(res.stdout);
    expect(r).toMatchObject({ format: 1, execution: 2, jaccard: 1, memory: null, total: 3, error: null, result: { columns: ['Name'], rows: [['John Nizinik']], rowCount: 1 } });
    expect(r.predOps).toEqual(r.goldOps);
  });

  it('exits 2 on bad input: no gold, a gold that fails, a missing database', () => {
    expect(squill(['reward', '--db', DB, '--pred', PRED]).code).toBe(EXIT.USAGE);
    const badGold = squill(['reward', '--db', DB, '--gold', 'SELECT nm FROM singer', '--pred', PRED, '--json']);
    expect(badGold.code).toBe(EXIT.USAGE);
    expect(JSON.parse(badGold.stdout).error.message).toContain('no such column: nm');
    expect(squill(['reward', '--db', '/no/such.sqlite', '--gold', GOLD, '--pred', PRED]).code).toBe(EXIT.USAGE);
  });
});
