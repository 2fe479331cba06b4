/**
 * The one contract between the renderer and the backend. Every procedure (request -> response) and every event
 * (backend -> renderer stream) is declared once, in the file of its domain; both transports (Electron IPC,
 * WebSocket) and the renderer's client are generated from these declarations, and inputs are validated against them
 * at the boundary. This index merges the domains; importers use it, never a domain file.
 */
import type { z } from 'zod';
import { appEvents, appProcedures } from './app.ts';
import { dbEvents, dbProcedures } from './db.ts';
import { evalEvents, evalProcedures } from './eval.ts';
import { modelsEvents, modelsProcedures } from './models.ts';
import { aiEvents, aiProcedures } from './ai.ts';
import { trainEvents, trainProcedures } from './train.ts';
import { SERVER_PATHS, unwrapSchema } from './define.ts';

export { SERVER_PATHS, serverPath, unwrapSchema, type EventDef, type ProcedureDef } from './define.ts';
export * from './app.ts';
export * from './db.ts';
export * from './eval.ts';
export * from './models.ts';
export * from './ai.ts';
export * from './train.ts';

export const procedures = {
  ...appProcedures,
  ...dbProcedures,
  ...evalProcedures,
  ...modelsProcedures,
  ...aiProcedures,
  ...trainProcedures,
} as const;

export const events = {
  ...appEvents,
  ...dbEvents,
  ...evalEvents,
  ...modelsEvents,
  ...aiEvents,
  ...trainEvents,
} as const;

export type Procedures = typeof procedures;
export type Events = typeof events;
export type ProcedureName = keyof Procedures;
export type EventName = keyof Events;
/** What a caller passes (before defaults are applied). */
export type Input<N extends ProcedureName> = z.input<Procedures[N]['input']>;
/** What a handler receives (after parsing). */
export type ParsedInput<N extends ProcedureName> = z.output<Procedures[N]['input']>;
export type Output<N extends ProcedureName> = z.output<Procedures[N]['output']>;
export type Payload<E extends EventName> = z.output<Events[E]['payload']>;

/**
 * The server paths in a procedure's parsed input, with where they stand (`config.dataset[1].path`): walks the input
 * schema beside the value; a union follows the option the value matches.
 */
export function serverPathsOf(method: ProcedureName, input: unknown): { at: string; path: string }[] {
  const found: { at: string; path: string }[] = [];
  walkServerPaths(procedures[method].input, input, '', found);
  return found;
}

function walkServerPaths(schema: z.ZodType, value: unknown, at: string, found: { at: string; path: string }[]): void {
  if (SERVER_PATHS.has(schema)) {
    if (typeof value === 'string') found.push({ at, path: value });
    return;
  }
  const { inner } = unwrapSchema(schema);
  if (inner !== schema) {
    if (value !== undefined && value !== null) walkServerPaths(inner, value, at, found);
    return;
  }
  const def = (schema as z.core.$ZodType)._zod.def;
  switch (def.type) {
    case 'object':
      if (value !== null && typeof value === 'object') {
        for (const [key, field] of Object.entries((def as z.core.$ZodObjectDef).shape)) {
          walkServerPaths(field as z.ZodType, (value as Record<string, unknown>)[key], at ? `${at}.${key}` : key, found);
        }
      }
      return;
    case 'array':
      if (Array.isArray(value)) value.forEach((item, i) => walkServerPaths((def as z.core.$ZodArrayDef).element as z.ZodType, item, `${at}[${i}]`, found));
      return;
    case 'union': {
      const option = ((def as z.core.$ZodUnionDef).options as z.ZodType[]).find((o) => o.safeParse(value).success);
      if (option) walkServerPaths(option, value, at, found);
      return;
    }
    case 'pipe':
      walkServerPaths((def as z.core.$ZodPipeDef).out as z.ZodType, value, at, found);
      return;
    default:
      return;
  }
}

export const isProcedureName = (name: string): name is ProcedureName => Object.hasOwn(procedures, name);
export const isEventName = (name: string): name is EventName => Object.hasOwn(events, name);

