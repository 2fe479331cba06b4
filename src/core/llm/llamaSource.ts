/**
 * The llama.cpp source that node-llama-cpp ships as a git bundle: its vocab-only GGUFs (real tokenizers without
 * weights) and chat templates. Read with git from a bare clone kept in a cache folder.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SquillError } from '../../shared/errors.ts';

export function llamaBundlePath(): string {
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    root = path.dirname(path.dirname(require.resolve('node-llama-cpp')));
  } catch {
    throw new SquillError('UNAVAILABLE', 'node-llama-cpp is not installed; run npm install');
  }
  for (let dir = root; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'llama', 'gitRelease.bundle');
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new SquillError('UNAVAILABLE', `The llama.cpp source bundle of node-llama-cpp was not found under ${root}`);
}

/** A bare clone of the bundle, made once per bundle (keyed by its size and mtime). */
function sourceRepo(cacheDir: string): string {
  const bundle = llamaBundlePath();
  const stat = fs.statSync(bundle);
  const repo = path.join(cacheDir, `llama-src-${stat.size}-${Math.floor(stat.mtimeMs)}.git`);
  if (!fs.existsSync(path.join(repo, 'HEAD'))) {
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = `${repo}.${process.pid}.tmp`;
    try {
      execFileSync('git', ['clone', '--quiet', '--bare', bundle, tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
      if (e.code === 'ENOENT') throw new SquillError('UNAVAILABLE', 'git is needed to read the llama.cpp source bundle; install git');
      throw new SquillError('UNAVAILABLE', `Cannot read the llama.cpp source bundle: ${e.stderr?.toString().trim() || e.message}`);
    }
    fs.renameSync(tmp, repo);
  }
  return repo;
}

export const defaultCacheDir = () => path.join(os.tmpdir(), 'squill-cache');

/** A file of the bundled llama.cpp source, as bytes. */
export function readLlamaSourceFile(relative: string, cacheDir = defaultCacheDir()): Buffer {
  const repo = sourceRepo(cacheDir);
  try {
    return execFileSync('git', ['--git-dir', repo, 'show', `HEAD:${relative}`], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    throw new SquillError('NOT_FOUND', `${relative} is not in the bundled llama.cpp source`);
  }
}

/** A bundled vocab-only GGUF (e.g. "qwen2", "llama-bpe") as a file in the cache. */
export function bundledVocab(name: string, cacheDir = defaultCacheDir()): string {
  if (!/^[a-z0-9.-]+$/.test(name)) throw new SquillError('VALIDATION', `"${name}" is not a vocab name`);
  const file = path.join(cacheDir, `ggml-vocab-${name}.gguf`);
  if (!fs.existsSync(file)) {
    const bytes = readLlamaSourceFile(`models/ggml-vocab-${name}.gguf`, cacheDir);
    fs.writeFileSync(`${file}.${process.pid}.tmp`, bytes);
    fs.renameSync(`${file}.${process.pid}.tmp`, file);
  }
  return file;
}
