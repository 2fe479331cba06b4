import fs from 'node:fs';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { decodeComponent } from './auth.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
};

/**
 * The built renderer from `root`. Paths outside root are never served — neither by `..` in any spelling nor through
 * a symbolic link that points out of it; unknown paths without an extension get index.html (client-side routes),
 * unknown files a 404.
 */
export function serveStatic(root: string, urlPath: string, res: ServerResponse, head: boolean): void {
  const notFound = () => res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found');
  const relative = decodeComponent(urlPath);
  if (relative === null || relative.includes('\0')) {
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Bad path');
    return;
  }
  const realRoot = realPathOrNull(root) ?? root;
  const inside = (p: string) => p === realRoot || p.startsWith(realRoot + path.sep);
  let file = path.resolve(realRoot, `.${path.posix.normalize(`/${relative}`)}`);
  if (!inside(file)) return void notFound();
  let stat = statOrNull(file);
  if (stat?.isDirectory()) {
    file = path.join(file, 'index.html');
    stat = statOrNull(file);
  }
  if (!stat && !path.extname(file)) {
    file = path.join(realRoot, 'index.html');
    stat = statOrNull(file);
  }
  // a link inside the folder may point anywhere: what is served is judged by the file it resolves to
  const real = stat?.isFile() ? realPathOrNull(file) : null;
  if (!stat?.isFile() || real === null || !inside(real)) return void notFound();
  const hashedAsset = real.includes(`${path.sep}assets${path.sep}`);
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[path.extname(real)] ?? 'application/octet-stream',
    'Content-Length': stat.size,
    'Cache-Control': hashedAsset ? 'public, max-age=31536000, immutable' : 'no-store',
  });
  if (head) res.end();
  else fs.createReadStream(real).on('error', () => res.destroy()).pipe(res);
}

function realPathOrNull(file: string): string | null {
  try {
    return fs.realpathSync(file);
  } catch {
    return null;
  }
}

function statOrNull(file: string): fs.Stats | null {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}
