import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { META_CONTENT_SECURITY_POLICY } from './src/shared/csp.ts';

/** Writes the strict CSP into the built index.html (the desktop app loads it from a file: no headers there). */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'squill-csp',
    apply: 'build',
    transformIndexHtml: (html) =>
      html.replace(
        '<meta charset="UTF-8" />',
        `<meta charset="UTF-8" />\n    <meta http-equiv="Content-Security-Policy" content="${META_CONTENT_SECURITY_POLICY}" />`,
      ),
  };
}

export default defineConfig({
  main: {
    // The sandbox worker is a second entry: the pool forks it as its own process.
    build: {
      rollupOptions: {
        input: { index: resolve('src/main/index.ts'), 'sandbox-worker': resolve('src/core/db/sandbox/worker.ts') },
      },
    },
  },
  preload: {
    // A sandboxed preload cannot load ES modules or node_modules: one self-contained CommonJS file.
    build: {
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    // Minified: browser tabs of `squill serve` load it over the network.
    build: { minify: true, rollupOptions: { input: resolve('src/renderer/index.html') } },
    plugins: [react(), contentSecurityPolicy()],
  },
});
