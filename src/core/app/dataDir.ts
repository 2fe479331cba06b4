import os from 'node:os';
import path from 'node:path';

export const APP_FOLDER_NAME = 'Squill';

export interface DataDirSources {
  env?: NodeJS.ProcessEnv;
  /** Electron's app.getPath('userData'), when running inside Electron */
  electronUserData?: string;
  platform?: NodeJS.Platform;
  homedir?: string;
}

/**
 * Where Squill keeps its store and artifacts: SQUILL_DATA_DIR if set, else Electron's userData, else the same
 * folder Electron would choose on this platform — so the desktop app, `squill serve` and the CLI share one store.
 */
export function resolveDataDir(sources: DataDirSources = {}): string {
  const env = sources.env ?? process.env;
  if (env.SQUILL_DATA_DIR?.trim()) return path.resolve(env.SQUILL_DATA_DIR.trim());
  if (sources.electronUserData) return sources.electronUserData;
  const platform = sources.platform ?? process.platform;
  const home = sources.homedir ?? os.homedir();
  if (platform === 'win32') {
    return path.win32.join(env.APPDATA ?? path.win32.join(home, 'AppData', 'Roaming'), APP_FOLDER_NAME);
  }
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_FOLDER_NAME);
  return path.join(env.XDG_CONFIG_HOME?.trim() || path.join(home, '.config'), APP_FOLDER_NAME);
}
