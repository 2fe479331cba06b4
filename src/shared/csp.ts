/**
 * The Content-Security-Policy of every Squill page: only our own scripts, no remote content, no plugins, no
 * framing. Styles may be inline (Monaco and React style attributes); workers come from our own files.
 * Sent as a header by `squill serve` and written into index.html at build for the desktop app.
 */
const DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
];

/** As an HTTP header (`squill serve`). */
export const CONTENT_SECURITY_POLICY = [...DIRECTIVES, "frame-ancestors 'none'"].join('; ');
/** As a <meta> tag (the desktop app's file://), where frame-ancestors is not allowed. */
export const META_CONTENT_SECURITY_POLICY = DIRECTIVES.join('; ');
