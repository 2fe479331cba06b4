import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.ts';
import { SquillError } from '../../shared/errors.ts';
import { createCore, DEFAULT_RESOURCES_DIR, type Core } from '../index.ts';

let core: Core;
let files: string;
beforeEach(() => {
  core = createCore({ dataDir: tempDir(), host: 'cli', log: () => undefined, sandboxSize: 1 });
  files = tempDir();
});
afterEach(async () => {
  await core.close();
});

const copyDemo = (name: string, to = path.join(files, `${name}.sqlite`)) => {
  fs.copyFileSync(path.join(DEFAULT_RESOURCES_DIR, 'demo', `${name}.sqlite`), to);
  return to;
};

function addError(file: string): SquillError {
  try {
    core.databases.connections.add(file);
  } catch (err) {
    expect(err).toBeInstanceOf(SquillError);
    return err as SquillError;
  }
  throw new Error('expected the add to fail');
}

describe('connections', () => {
  it('starts with the three demo databases, fingerprinted', () => {
    const list = core.databases.connections.list();
    expect(list.map((c) => [c.id, c.kind, c.status])).toEqual([
      ['concert_singer', 'demo', 'ok'],
      ['world_1', 'demo', 'ok'],
      ['car_1', 'demo', 'ok'],
    ]);
    expect(list[0]!.fingerprint).toMatchObject({ sizeBytes: 36864, schemaSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(list[0]!.tableCount).toBe(4);
  });

  it('adds a SQLite file, keeps it across restarts, and refuses it twice', async () => {
    const file = copyDemo('car_1', path.join(files, 'My Cars.db'));
    const added = core.databases.connections.add(file, 'Cars copy');
    expect(added).toMatchObject({ id: 'my-cars', name: 'Cars copy', kind: 'file', status: 'ok', tableCount: 6 });
    expect(addError(file).code).toBe('CONFLICT');
    const dataDir = core.dataDir;
    await core.close();
    core = createCore({ dataDir, host: 'cli', log: () => undefined, sandboxSize: 1 });
    expect(core.databases.connections.list().map((c) => c.id)).toEqual(['concert_singer', 'world_1', 'car_1', 'my-cars']);
  });

  it('gives each kind of bad file a message a user can act on', () => {
    expect(addError(path.join(files, 'nope.sqlite')).message).toMatch(/^No file at /);
    expect(addError(files).message).toMatch(/is a folder, not a SQLite database file$/);
    const empty = path.join(files, 'empty.db');
    fs.writeFileSync(empty, '');
    expect(addError(empty).message).toMatch(/is empty, not a SQLite database$/);
    const text = path.join(files, 'notes.txt');
    fs.writeFileSync(text, 'hello, this is text and not a database at all');
    expect(addError(text).message).toMatch(/is not a SQLite database \(it does not start with the SQLite header\)$/);
    // a real header followed by garbage
    const corrupt = path.join(files, 'corrupt.sqlite');
    const good = fs.readFileSync(copyDemo('concert_singer'));
    good.fill(0x5a, 100, 4096); // the schema page overwritten
    fs.writeFileSync(corrupt, good);
    const err = addError(corrupt);
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toMatch(/is damaged/);
    // the list is unaffected by all of it
    expect(core.databases.connections.list()).toHaveLength(3);
  });

  it('says when another program holds the database locked', () => {
    const file = copyDemo('concert_singer');
    const holder = new BetterSqlite3(file);
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('BEGIN EXCLUSIVE; UPDATE singer SET age = age; ');
    try {
      const err = addError(file);
      expect(err.code).toBe('UNAVAILABLE');
      expect(err.message).toMatch(/is locked by another program/);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(core.databases.connections.add(file).status).toBe('ok');
  });

  it('reports a file that disappeared, and lets the user remove it; demos stay', async () => {
    const file = copyDemo('car_1');
    const { id } = core.databases.connections.add(file);
    fs.rmSync(file);
    const missing = core.databases.connections.get(id);
    expect(missing).toMatchObject({ status: 'missing', error: `The file ${fs.realpathSync(files)}/car_1.sqlite no longer exists` });
    const err = await core.databases.query(id, 'SELECT 1').catch((e: unknown) => e as SquillError);
    expect(err).toMatchObject({ code: 'UNAVAILABLE' });
    core.databases.connections.remove(id);
    expect(core.databases.connections.list()).toHaveLength(3);
    expect(() => core.databases.connections.remove('world_1')).toThrow(/bundled demo database/);
  });

  it('caches the schema per fingerprint and sees a changed file', async () => {
    const file = copyDemo('concert_singer');
    const { id } = core.databases.connections.add(file);
    const first = await core.databases.schema(id);
    expect(await core.databases.schema(id)).toBe(first);
    const writer = new BetterSqlite3(file);
    writer.exec('CREATE TABLE extra (x INTEGER)');
    writer.close();
    const second = await core.databases.schema(id);
    expect(second.tables.map((t) => t.name)).toContain('extra');
    expect(second.fingerprint.schemaSha256).not.toBe(first.fingerprint.schemaSha256);
  });
});
