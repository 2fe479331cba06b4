import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.ts';
import { SquillError } from '../../shared/errors.ts';
import { readSettings, updateSettings } from '../app/index.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';
import { STORE_FILE_NAME, openStore } from './index.ts';

describe('app store', () => {
  it('creates the data folder and migrates a fresh store in WAL mode', () => {
    const dir = path.join(tempDir(), 'nested', 'data');
    const store = openStore(dir);
    expect(store.schemaVersion).toBe(MIGRATIONS.at(-1)!.version);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const applied = store.db.prepare('SELECT version, name FROM migrations ORDER BY version').all();
    expect(applied).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    store.close();
  });

  it('applies only the new migrations on the next open, each once', () => {
    const dir = tempDir();
    openStore(dir).close();
    let ran = 0;
    const next: Migration = {
      version: MIGRATIONS.at(-1)!.version + 1,
      name: 'extra',
      up: (db) => {
        ran++;
        db.exec('CREATE TABLE extra (x INTEGER) STRICT');
      },
    };
    const store = openStore(dir, [...MIGRATIONS, next]);
    expect(store.schemaVersion).toBe(next.version);
    store.close();
    openStore(dir, [...MIGRATIONS, next]).close();
    expect(ran).toBe(1);
  });

  it('rolls a failing migration back and leaves the store at the previous version', () => {
    const dir = tempDir();
    openStore(dir).close();
    const broken: Migration = {
      version: 99,
      name: 'broken',
      up: (db) => {
        db.exec('CREATE TABLE half_done (x)');
        throw new Error('boom');
      },
    };
    expect(() => openStore(dir, [...MIGRATIONS, broken])).toThrow('boom');
    const store = openStore(dir);
    expect(store.db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'").pluck().get()).toBe(0);
    expect(store.schemaVersion).toBe(MIGRATIONS.at(-1)!.version);
    store.close();
  });

  it('refuses a store written by a newer Squill, with advice', () => {
    const dir = tempDir();
    const store = openStore(dir);
    store.db.prepare('INSERT INTO migrations (version, name) VALUES (999, ?)').run('future');
    store.close();
    expect(() => openStore(dir)).toThrow(/newer Squill/);
  });

  it('explains a damaged store instead of crashing', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, STORE_FILE_NAME), 'this is not a database, just text '.repeat(200));
    let caught: unknown;
    try {
      openStore(dir);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SquillError);
    expect((caught as SquillError).code).toBe('UNAVAILABLE');
    expect((caught as SquillError).message).toMatch(/move it aside/);
  });

  it('keeps settings across reopening and ignores damaged values', () => {
    const dir = tempDir();
    let store = openStore(dir);
    expect(readSettings(store)).toEqual({ theme: 'system' });
    expect(updateSettings(store, { theme: 'dark' })).toEqual({ theme: 'dark' });
    store.close();
    store = openStore(dir);
    expect(readSettings(store).theme).toBe('dark');
    store.db.prepare("UPDATE settings SET value = '\"purple\"' WHERE key = 'theme'").run();
    expect(readSettings(store).theme).toBe('system');
    store.close();
    // another process (the CLI) sees the same file
    const raw = new BetterSqlite3(path.join(dir, STORE_FILE_NAME), { readonly: true });
    expect(raw.prepare("SELECT value FROM settings WHERE key = 'theme'").pluck().get()).toBe('"purple"');
    raw.close();
  });
});
