/** File hashes for reproducibility records and BIRD's expected-hash list. */
import crypto from 'node:crypto';
import fs from 'node:fs';

/** sha256 of a file, cached by path, size and mtime (BIRD databases are large). */
const hashCache = new Map<string, string>();
export function sha256File(file: string): string {
  const stat = fs.statSync(file);
  const key = `${file}:${stat.size}:${stat.mtimeMs}`;
  let hash = hashCache.get(key);
  if (!hash) {
    const h = crypto.createHash('sha256');
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(1 << 20);
      let n: number;
      while ((n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) h.update(buffer.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
    hash = h.digest('hex');
    hashCache.set(key, hash);
  }
  return hash;
}
