// Locks the Electron side down: no navigation away from our page, no new windows, no remote requests, no
// permissions (camera, notifications, ...). Everything the renderer needs comes from our own files and IPC.
import { app, session, shell, type WebContents } from 'electron';

export function isOwnUrl(url: string, rendererUrl: string): boolean {
  try {
    const u = new URL(url);
    const own = new URL(rendererUrl);
    if (own.protocol === 'file:') return u.protocol === 'file:' && u.pathname === own.pathname;
    return u.origin === own.origin;
  } catch {
    return false;
  }
}

export function hardenSession(rendererUrl: string): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  const devHost = rendererUrl.startsWith('http') ? new URL(rendererUrl).host : null;
  ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (details, cb) => {
    // Only the dev server (npm run dev, and its hot-reload socket) is ever contacted; a built app makes no
    // network request at all.
    cb({ cancel: devHost === null || new URL(details.url).host !== devHost });
  });
}

export function hardenContents(contents: WebContents, rendererUrl: string): void {
  contents.on('will-navigate', (event, url) => {
    if (!isOwnUrl(url, rendererUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links to documentation open in the user's browser; nothing opens inside Squill.
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

export function hardenApp(rendererUrl: string): void {
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, rendererUrl));
}
