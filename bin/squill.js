#!/usr/bin/env node
// Launcher of the `squill` command. The CLI is TypeScript run by Node's built-in type stripping (Node >= 22.18),
// and better-sqlite3 needs Node >= 22: on an older `node` this re-runs itself on the project's pinned Node.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
const here = path.dirname(fileURLToPath(import.meta.url));

if (major > 22 || (major === 22 && minor >= 18)) {
  process.removeAllListeners('warning'); // type stripping's ExperimentalWarning is noise for a CLI user
  process.on('warning', (w) => {
    if (w.name !== 'ExperimentalWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
  });
  await import(pathToFileURL(path.join(here, '..', 'src', 'cli', 'main.ts')).href);
} else {
  let pinned;
  try {
    const require = createRequire(import.meta.url);
    pinned = path.join(path.dirname(require.resolve('node/package.json')), 'bin', 'node');
  } catch {
    process.stderr.write(`squill: needs Node.js 22.18 or newer (this is ${process.version}); run \`npm install\`\n`);
    process.exit(1);
  }
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
