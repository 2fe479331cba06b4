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
