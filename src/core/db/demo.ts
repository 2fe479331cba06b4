/** The bundled demo databases (resources/demo): their catalog of titles and files. */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SquillError } from '../../shared/errors.ts';

const CatalogSchema = z.array(
  z.object({ id: z.string(), title: z.string(), description: z.string(), file: z.string() }),
);

export interface DemoEntry {
  id: string;
  title: string;
  description: string;
  path: string;
}

export function listDemoCatalog(resourcesDir: string): DemoEntry[] {
  const dir = path.join(resourcesDir, 'demo');
  const file = path.join(dir, 'catalog.json');
  try {
    return CatalogSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8'))).map(({ file: f, ...rest }) => ({
      ...rest,
      path: path.join(dir, f),
    }));
  } catch (err) {
    throw new SquillError('UNAVAILABLE', `The demo catalog ${file} cannot be read: ${(err as Error).message}`);
  }
}
