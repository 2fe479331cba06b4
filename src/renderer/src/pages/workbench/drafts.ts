/**
 * Workbench preferences kept in this browser/window (localStorage): the SQL draft per database, so the editor's
 * text survives page switches and reloads, and a few layout choices.
 */

type KeyValueStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

const PREFIX = 'squill.workbench.';
const draftKey = (connectionId: string) => `${PREFIX}draft.${connectionId}`;

export function loadDraft(connectionId: string, storage: KeyValueStore = localStorage): string {
  return storage.getItem(draftKey(connectionId)) ?? '';
}

export function saveDraft(connectionId: string, sql: string, storage: KeyValueStore = localStorage): void {
  try {
    if (sql === '') storage.removeItem(draftKey(connectionId));
    else storage.setItem(draftKey(connectionId), sql);
  } catch {
    // storage full or disabled: the draft still lives in the editor until the page closes
  }
}

function savePreference(name: string, value: string, storage: KeyValueStore): void {
  try {
    storage.setItem(PREFIX + name, value);
  } catch {
    // as above: a preference that is not kept is no failure
  }
}

/** A number preference (editor height, row limit), or `fallback` when unset or not a number. */
export function loadNumber(name: string, fallback: number, storage: KeyValueStore = localStorage): number {
  const value = Number(storage.getItem(PREFIX + name) ?? Number.NaN);
  return Number.isFinite(value) ? value : fallback;
}

export const saveNumber = (name: string, value: number, storage: KeyValueStore = localStorage) =>
  savePreference(name, String(value), storage);

export function loadFlag(name: string, fallback: boolean, storage: KeyValueStore = localStorage): boolean {
  const value = storage.getItem(PREFIX + name);
  return value === null ? fallback : value === 'true';
}

export const saveFlag = (name: string, value: boolean, storage: KeyValueStore = localStorage) =>
  savePreference(name, String(value), storage);
