// Electron main: app lifecycle, the window, the menu, and the contract bound to IPC. The work happens in core.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain } from 'electron';
import { createCore, resolveDataDir, type Core } from '../core/index.ts';
import { bindIpcMain, type IpcMainLike } from '../shared/rpc/ipc.ts';
import { installMenu } from './menu.ts';
import { hardenApp, hardenSession, isOwnUrl } from './security.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererUrl =
  !app.isPackaged && process.env.ELECTRON_RENDERER_URL
    ? process.env.ELECTRON_RENDERER_URL
    : pathToFileURL(path.join(here, '../renderer/index.html')).href;

let core: Core | null = null;
let window: BrowserWindow | null = null;

/** Electron's ipcMain, seen through the slice the transport uses (sender URL included, for the trust check). */
const ipc: IpcMainLike = {
  handle: (channel, handler) =>
    ipcMain.handle(channel, (e, ...args) => handler({ sender: e.sender, senderUrl: e.senderFrame?.url ?? '' }, ...args)),
  removeHandler: (channel) => ipcMain.removeHandler(channel),
  on: (channel, listener) =>
    ipcMain.on(channel, (e, ...args) => listener({ sender: e.sender, senderUrl: e.senderFrame?.url ?? '' }, ...args)),
  removeAllListeners: (channel) => ipcMain.removeAllListeners(channel),
};

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 880,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Squill',
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (window === win) window = null;
  });
  void win.loadURL(rendererUrl);
  return win;
}

async function start(): Promise<void> {
  if (process.env.SQUILL_DATA_DIR) app.setPath('userData', resolveDataDir());
  const dataDir = resolveDataDir({ electronUserData: app.getPath('userData') });
  try {
    core = createCore({
      dataDir,
      host: 'electron',
      resourcesDir: app.isPackaged ? path.join(process.resourcesPath, 'resources') : path.join(here, '../../resources'),
      extraVersions: { electron: process.versions.electron ?? '', chrome: process.versions.chrome ?? '' },
      sandboxWorkerPath: path.join(here, 'sandbox-worker.js'),
      pickFile: async () => {
        const options = {
          title: 'Open a SQLite database',
          properties: ['openFile' as const],
          filters: [
            { name: 'SQLite databases', extensions: ['sqlite', 'sqlite3', 'db', 'db3', 's3db', 'sl3'] },
            { name: 'All files', extensions: ['*'] },
          ],
        };
        const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
        return result.canceled ? null : (result.filePaths[0] ?? null);
      },
    });
  } catch (err) {
    dialog.showErrorBox('Squill cannot start', (err as Error).message);
    app.exit(1);
    return;
  }
  hardenSession(rendererUrl);
  bindIpcMain(ipc, core.backend, { isTrustedUrl: (url) => isOwnUrl(url, rendererUrl) });
  installMenu(() => window);
  window = createWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // The same policy as `squill serve` (README, "Robustness"): IPC calls run behind the backend's boundary, so a
  // throw that reaches the process came from a timer or event handler whose state is unknown. A rejection is
  // logged and the app goes on; an exception is logged and shown, then the app quits the normal way (will-quit:
  // the running job finishes its step and checkpoints) and is relaunched, so the job resumes there.
  process.on('unhandledRejection', (reason) => console.error('squill: unhandled rejection (kept running):', reason));
  process.on('uncaughtException', (err) => {
    console.error('squill: uncaught exception, checkpointing and restarting:', err);
    dialog.showErrorBox('Squill hit an internal error and restarts', `${err.stack ?? String(err)}\n\nA running training job resumes from its checkpoint.`);
    app.relaunch();
    app.quit();
  });
  app.setAboutPanelOptions({ applicationName: 'Squill', applicationVersion: app.getVersion() });
  hardenApp(rendererUrl);
  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('activate', () => {
    if (core && BrowserWindow.getAllWindows().length === 0) window = createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  let closing = false;
  app.on('will-quit', (event) => {
    if (!core || closing) return;
    closing = true;
    event.preventDefault();
    void core.close().finally(() => app.quit());
  });
  void app.whenReady().then(start);
}
