import { DEFAULT_SETTINGS, SettingsSchema, type Settings } from '../../shared/contract/index.ts';
import type { Store } from '../store/index.ts';

/** Preferences are one JSON value per key; unknown or invalid stored values fall back to the default. */
export function readSettings(store: Store): Settings {
  const rows = store.db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
  const merged: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const { key, value } of rows) {
    if (!(key in DEFAULT_SETTINGS)) continue;
    try {
      const candidate = { ...merged, [key]: JSON.parse(value) };
      if (SettingsSchema.safeParse(candidate).success) merged[key] = candidate[key];
    } catch {
      // a damaged value is ignored, not fatal
    }
  }
  return SettingsSchema.parse(merged);
}

export function updateSettings(store: Store, patch: Partial<Settings>): Settings {
  const upsert = store.db.prepare(`
    INSERT INTO settings (key, value) VALUES (?, ?)
    ON CONFLICT(key) DO UPDATE SET value = excluded.value,
      updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`);
  store.db.transaction(() => {
    for (const [key, value] of Object.entries(patch)) {
      if (value !== undefined) upsert.run(key, JSON.stringify(value));
    }
  })();
  return readSettings(store);
}
