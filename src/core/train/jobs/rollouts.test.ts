/**
 * The rollout files of an online job: written per step, read back with each group's database matched to the app's
 * connections by real path (a link or a relative spelling of a registered file is that file; a copy is not).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, RolloutGroup } from '../../../shared/contract/index.ts';
import { connectionsOf, readRollouts, writeRollouts } from './rollouts.ts';

const connection = (id: string, file: string, status: Connection['status'] = 'ok'): Connection => ({
  id, name: id, path: file, kind: 'file', addedAt: '', status, fingerprint: null, tableCount: null,
});
const group = (dbPath: string): RolloutGroup => ({
  exampleId: 'e', question: 'q?', dbId: path.basename(dbPath), dbPath, gold: 'SELECT 1', goldOps: [], mean: 0, std: 0, skipped: true, samples: [],
});

describe('rollout files and their databases', () => {
  let dir: string;
  let db: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-rollouts-'));
    db = path.join(dir, 'real', 'a.sqlite');
    fs.mkdirSync(path.dirname(db));
    fs.writeFileSync(db, 'not read here');
    fs.symlinkSync(path.dirname(db), path.join(dir, 'linked'));
    fs.copyFileSync(db, path.join(dir, 'copy.sqlite'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('matches a database named through a link or another spelling to its connection, not a copy or a broken one', () => {
    const linked = path.join(dir, 'linked', 'a.sqlite');
    const dotted = path.join(dir, 'real', '..', 'real', 'a.sqlite');
    const copy = path.join(dir, 'copy.sqlite');
    const missing = path.join(dir, 'gone.sqlite');
    const map = connectionsOf([linked, dotted, copy, missing, linked], [connection('broken', copy, 'unreadable'), connection('a', db), connection('gone', missing, 'missing')]);
    expect(map).toEqual({ [linked]: 'a', [dotted]: 'a', [copy]: null, [missing]: null });
    // registered through the link, asked for by its real path
    expect(connectionsOf([db], [connection('via-link', linked)])).toEqual({ [db]: 'via-link' });
  });

  it('reads a step back with the connections of its groups, and says which steps are kept when asked for another', () => {
    const job = path.join(dir, 'job');
    expect(readRollouts(job)).toEqual({ steps: [], step: null, groups: [], seconds: null, connections: {} });
    const linked = path.join(dir, 'linked', 'a.sqlite');
    writeRollouts(job, 2, [group(linked), group(path.join(dir, 'copy.sqlite'))], { rollout: 1, reward: 0.5, update: 0.25 });
    const read = readRollouts(job, undefined, [connection('a', db)]);
    expect(read).toMatchObject({ steps: [2], step: 2, seconds: { rollout: 1, reward: 0.5, update: 0.25 } });
    expect(read.groups.map((g) => g.dbPath)).toEqual([linked, path.join(dir, 'copy.sqlite')]);
    expect(read.connections).toEqual({ [linked]: 'a', [path.join(dir, 'copy.sqlite')]: null });
    expect(() => readRollouts(job, 3)).toThrow(/No rollouts are kept for step 3 \(kept: steps 2-2\)/);
  });
});
