/** The app itself: version and host facts, health, resource metrics, preferences and where the data folder is. */
import type { HandlersOf } from '../../shared/rpc/backend.ts';
import type { EventHub } from '../../shared/rpc/events.ts';
import { appInfo, health, type HostFacts } from './info.ts';
import { readSettings, updateSettings } from './settings.ts';

export { APP_FOLDER_NAME, resolveDataDir, type DataDirSources } from './dataDir.ts';
export { APP_VERSION, appInfo, health, METRICS_INTERVAL_MS, startMetricsSampler, type HostFacts } from './info.ts';
export { readSettings, updateSettings } from './settings.ts';

/** app.*, settings.* */
export function appHandlers(facts: HostFacts, hub: EventHub): HandlersOf<'app' | 'settings'> {
  return {
    'app.info': () => appInfo(facts),
    'app.health': () => health(facts),
    'settings.get': () => readSettings(facts.store),
    'settings.update': (patch) => {
      const settings = updateSettings(facts.store, patch);
      hub.emit('settings.changed', settings);
      return settings;
    },
  };
}
