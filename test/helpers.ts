import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect } from 'vitest';
import Database from 'better-sqlite3';
import type { LlamaGrammar } from 'node-llama-cpp';
import type { DbSchema } from '../src/shared/contract/index.ts';
import { SquillError } from '../src/shared/errors.ts';
import { introspect } from '../src/core/db/index.ts';
import { trainerBinary } from '../src/core/train/index.ts';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder removed after the test. */
export function tempDir(prefix = 'squill-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Resolves when `predicate` holds, polling; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The SquillError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function failure(promise: Promise<unknown>): Promise<SquillError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(SquillError);
    return err as SquillError;
  }
  throw new Error('expected a failure, got a result');
}

/** A SQLite file's schema as the grammars read it (no sample values, no fingerprint). */
export function schemaOfFile(file: string): DbSchema {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return { ...introspect(db, { details: false }), fingerprint: { size: 0, mtimeMs: 0 } } as unknown as DbSchema;
  } finally {
    db.close();
  }
}

/** Whether the whole text is a complete sentence of the grammar (node-llama-cpp's internal check, llama.cpp's matcher). */
export const grammarAccepts = (grammar: LlamaGrammar, text: string) => (grammar as unknown as { _testText(t: string): boolean })._testText(text);

/** Why the trainer cannot run here (not built, the build's reason), or null when it can: trainer tests skip on it outside CI. */
export function trainerUnavailable(): string | null {
  try {
    trainerBinary();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
