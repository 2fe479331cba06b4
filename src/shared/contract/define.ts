/** The building blocks of the contract's domain files: how a procedure, an event and a server path are declared. */
import { z } from 'zod';

export interface ProcedureDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly description: string;
  readonly input: I;
  readonly output: O;
}
export interface EventDef<P extends z.ZodType = z.ZodType> {
  readonly description: string;
  readonly payload: P;
}

export const procedure = <I extends z.ZodType, O extends z.ZodType>(def: ProcedureDef<I, O>) => def;
export const event = <P extends z.ZodType>(def: EventDef<P>) => def;
export const noInput = z.strictObject({});

/**
 * Inputs that name a file or folder on the backend machine. A team server confines them (`squill serve --allow DIR`),
 * so every such field must be built with `serverPath()`: `serverPathsOf` finds them in any input by this mark.
 */
export const SERVER_PATHS = z.registry<{ kind: 'file' | 'folder' }>();
export const serverPath = (kind: 'file' | 'folder') => {
  const schema = z.string().trim().min(1, `a ${kind} path is required`).max(4096);
  schema.register(SERVER_PATHS, { kind });
  return schema;
};


/** A file on the backend machine named by a client. */
export const filePath = serverPath('file');

/**
 * A schema with its wrappers taken off (optional, nullable, default, prefault, readonly, nonoptional): what a walker
 * over the contract's schemas (server paths, the fuzz tests' generators) descends into, with whether a wrapper let
 * the value be absent.
 */
export function unwrapSchema(schema: z.ZodType): { inner: z.ZodType; optional: boolean } {
  let inner = schema;
  let optional = false;
  for (;;) {
    const def = (inner as z.core.$ZodType)._zod.def as { type: string; innerType?: z.ZodType };
    if (!WRAPPERS.has(def.type) || !def.innerType) return { inner, optional };
    if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault') optional = true;
    inner = def.innerType;
  }
}
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'nonoptional']);
