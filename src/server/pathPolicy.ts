/**
 * What a browser client of `squill serve --allow DIR …` may name on the server's disk: paths inside those folders,
 * after resolving symbolic links. Every contract field built with `serverPath()` is checked (`serverPathsOf`), so a
 * procedure that takes a new path is confined by declaring it, not by remembering this file.
 *
 * The refusal never depends on whether the path exists: a client outside the folders learns nothing about the disk.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serverPathsOf, type ProcedureName } from '../shared/contract/index.ts';
import { SquillError } from '../shared/errors.ts';

export interface PathPolicy {
  /** the allowed folders, resolved (real paths) */
  readonly folders: readonly string[];
  allows(candidate: string): boolean;
  /** throws FORBIDDEN when a path of the input lies outside the folders */
  checkInput(method: ProcedureName, input: unknown): void;
}

/** Resolves each folder (it must exist and be a folder); throws with a message naming the bad one. */
export function createPathPolicy(folders: readonly string[]): PathPolicy {
  const resolved = folders.map((folder) => {
    const absolute = path.resolve(expandHome(folder));
    let real: string;
    try {
      real = fs.realpathSync(absolute);
    } catch {
      throw new Error(`--allow ${folder}: no such folder`);
    }
    if (!fs.statSync(real).isDirectory()) throw new Error(`--allow ${folder}: not a folder`);
    return real;
  });
  // judged exactly as the handlers will open it: relative to this process's folder, `~` not expanded
  const allows = (candidate: string) => {
    const real = realPathOfNearest(path.resolve(candidate));
    return resolved.some((folder) => real === folder || real.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep));
  };
  return {
    folders: resolved,
    allows,
    checkInput(method, input) {
      for (const { at, path: named } of serverPathsOf(method, input)) {
        if (!allows(named)) {
          throw new SquillError('FORBIDDEN', `${at}: this server lets browser clients use only files inside ${resolved.join(', ')}`, {
            field: at,
            allowed: resolved,
          });
        }
      }
    },
  };
}

/**
 * The real path of `absolute`: the nearest existing ancestor resolved through its links, the rest appended as
 * written (a file about to be created, or one that does not exist, is judged by the folder it would be in).
 */
function realPathOfNearest(absolute: string): string {
  const rest: string[] = [];
  let current = absolute;
  for (;;) {
    try {
      return path.join(fs.realpathSync(current), ...rest.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return absolute;
      rest.push(path.basename(current));
      current = parent;
    }
  }
}

/** For the command line's folders (a shell expands `~` itself, a config file or a quoted argument does not). */
function expandHome(p: string): string {
  return p === '~' || p.startsWith(`~${path.sep}`) ? path.join(os.homedir(), p.slice(1)) : p;
}
