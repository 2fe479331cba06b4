/** The access token of `squill serve`: kept in the data folder, compared in constant time. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';

export const TOKEN_FILE_NAME = 'server-token';

/** Reuses the token in the data folder, or writes a new one (owner-only) when absent or when rotating. */
export function loadOrCreateToken(dataDir: string, rotate = false): string {
  const file = path.join(dataDir, TOKEN_FILE_NAME);
  if (!rotate) {
    try {
      const existing = fs.readFileSync(file, 'utf8').trim();
      if (/^[A-Za-z0-9_-]{32,}$/.test(existing)) return existing;
    } catch {
      // absent: create below
    }
  }
  const token = crypto.randomBytes(32).toString('base64url');
  fs.mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return token;
}

export function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** Cookie names are per port: browsers share cookies between ports of one host. */
export const cookieName = (port: number) => `squill_token_${port}`;

/**
 * The cookies of a request. A cookie that is not valid percent-encoding (`x=%`) is skipped: the header comes from
 * anyone who can reach the port, before authentication, so nothing in it may throw.
 */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const value = decodeComponent(part.slice(eq + 1).trim());
    if (value !== null) out.set(part.slice(0, eq).trim(), value);
  }
  return out;
}

/** decodeURIComponent, or null for malformed percent-encoding (it throws URIError). */
export function decodeComponent(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

export type TokenSource = 'header' | 'query' | 'cookie' | null;

/** Which presented credential matches the token: Authorization: Bearer, ?token=, or the session cookie. */
export function authenticate(req: IncomingMessage, url: URL, token: string, port: number): TokenSource {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ') && tokensEqual(auth.slice(7).trim(), token)) return 'header';
  const query = url.searchParams.get('token');
  if (query && tokensEqual(query, token)) return 'query';
  const cookie = parseCookies(req.headers.cookie).get(cookieName(port));
  if (cookie && tokensEqual(cookie, token)) return 'cookie';
  return null;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Against DNS rebinding: when bound to loopback, the Host header must name a loopback address, so a web page on
 * another origin that resolves its name to 127.0.0.1 cannot talk to us even with a leaked token.
 */
export function hostHeaderAllowed(hostHeader: string | undefined, boundToLoopback: boolean): boolean {
  if (!boundToLoopback) return true;
  if (!hostHeader) return false;
  const host = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0]!;
  return isLoopbackHost(host);
}
