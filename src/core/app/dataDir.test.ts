import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDataDir } from './dataDir.ts';

describe('data folder', () => {
  it('prefers SQUILL_DATA_DIR, resolved to an absolute path', () => {
    expect(resolveDataDir({ env: { SQUILL_DATA_DIR: 'rel/dir' }, electronUserData: '/e' })).toBe(path.resolve('rel/dir'));
  });
  it("uses Electron's userData when there is no override", () => {
    expect(resolveDataDir({ env: {}, electronUserData: '/home/u/.config/Squill' })).toBe('/home/u/.config/Squill');
  });
  it('falls back to the folder Electron would use on each platform', () => {
    expect(resolveDataDir({ env: {}, platform: 'linux', homedir: '/home/u' })).toBe('/home/u/.config/Squill');
    expect(resolveDataDir({ env: { XDG_CONFIG_HOME: '/x' }, platform: 'linux', homedir: '/home/u' })).toBe('/x/Squill');
    expect(resolveDataDir({ env: {}, platform: 'darwin', homedir: '/Users/u' })).toBe(
      '/Users/u/Library/Application Support/Squill',
    );
    expect(resolveDataDir({ env: { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, platform: 'win32', homedir: 'C:\\Users\\u' }))
      .toBe('C:\\Users\\u\\AppData\\Roaming\\Squill');
  });
  it('ignores an empty override', () => {
    expect(resolveDataDir({ env: { SQUILL_DATA_DIR: '  ' }, platform: 'linux', homedir: '/h' })).toBe('/h/.config/Squill');
  });
});
