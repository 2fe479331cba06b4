import { describe, expect, it } from 'vitest';
import { loadDraft, loadFlag, loadNumber, saveDraft, saveFlag, saveNumber } from './drafts.ts';

function memoryStorage() {
  const map = new Map<string, string>();
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
    map,
  };
}

describe('workbench drafts and preferences', () => {
  it('keeps one draft per database and forgets empty ones', () => {
    const storage = memoryStorage();
    saveDraft('world_1', 'SELECT 1', storage);
    saveDraft('car_1', 'SELECT 2', storage);
    expect(loadDraft('world_1', storage)).toBe('SELECT 1');
    expect(loadDraft('car_1', storage)).toBe('SELECT 2');
    saveDraft('car_1', '', storage);
    expect(storage.map.has('squill.workbench.draft.car_1')).toBe(false);
    expect(loadDraft('nope', storage)).toBe('');
  });

  it('reads numbers and flags with fallbacks', () => {
    const storage = memoryStorage();
    expect(loadNumber('h', 200, storage)).toBe(200);
    saveNumber('h', 310, storage);
    expect(loadNumber('h', 200, storage)).toBe(310);
    expect(loadFlag('f', true, storage)).toBe(true);
    saveFlag('f', false, storage);
    expect(loadFlag('f', true, storage)).toBe(false);
  });
});
