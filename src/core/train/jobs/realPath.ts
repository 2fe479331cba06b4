import fs from 'node:fs';
import path from 'node:path';

/** A file's real path (links resolved), or its absolute spelling when it cannot be resolved (a missing file). */
export function realPath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}
