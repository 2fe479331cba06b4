/**
 * The one contract between the renderer and the backend. Every procedure (request -> response) and every event
 * (backend -> renderer stream) is declared here once; both transports (Electron IPC, WebSocket) and the renderer's
 * client are generated from these declarations, and inputs are validated against them at the boundary.
 */
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

const procedure = <I extends z.ZodType, O extends z.ZodType>(def: ProcedureDef<I, O>) => def;
const event = <P extends z.ZodType>(def: EventDef<P>) => def;
const noInput = z.strictObject({});

// ---------------------------------------------------------------------------------------------------------------
// app.*

export const EngineInfoSchema = z.object({
  /** false when inference runs on the CPU */
  gpu: z.union([z.literal(false), z.enum(['cuda', 'vulkan', 'metal'])]),
  supportsGpuOffloading: z.boolean(),
  cpuMathCores: z.number().int(),
  vram: z.object({ totalBytes: z.number(), usedBytes: z.number(), freeBytes: z.number() }).nullable(),
  buildType: z.string(),
  llamaCppRelease: z.string(),
  /** why the engine could not be loaded; the rest of the app works without it */
  error: z.string().optional(),
});
export type EngineInfo = z.infer<typeof EngineInfoSchema>;

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  /** where Squill runs: the desktop app, `squill serve`, or the CLI */
  host: z.enum(['electron', 'server', 'cli']),
  platform: z.string(),
  arch: z.string(),
  dataDir: z.string(),
  storePath: z.string(),
  storeSchemaVersion: z.number().int(),
  versions: z.record(z.string(), z.string()),
  cpu: z.object({ model: z.string(), logicalCores: z.number().int() }),
  memory: z.object({ totalBytes: z.number(), freeBytes: z.number() }),
  engine: EngineInfoSchema,
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

export const HealthCheckSchema = z.object({ name: z.string(), ok: z.boolean(), detail: z.string() });
export const HealthSchema = z.object({
  ok: z.boolean(),
  uptimeSec: z.number(),
  checks: z.array(HealthCheckSchema),
});
export type Health = z.infer<typeof HealthSchema>;

export const MetricsSchema = z.object({
  at: z.string(),
  rssBytes: z.number(),
  heapUsedBytes: z.number(),
  /** backend process CPU use since the previous sample, in percent of one core */
  cpuPercent: z.number(),
  systemFreeBytes: z.number(),
  loadAverage: z.array(z.number()),
});
export type Metrics = z.infer<typeof MetricsSchema>;

// ---------------------------------------------------------------------------------------------------------------
// settings.* — user preferences kept in the app store, shared by the desktop app and browser tabs

export const THEMES = ['system', 'light', 'dark'] as const;
export const SettingsSchema = z.object({
  theme: z.enum(THEMES),
});
export type Settings = z.infer<typeof SettingsSchema>;
export const DEFAULT_SETTINGS: Settings = { theme: 'system' };

// ---------------------------------------------------------------------------------------------------------------
// demo.* — the bundled sample databases a new user starts from

export const DemoTableSchema = z.object({ name: z.string(), rowCount: z.number().int(), columnCount: z.number().int() });
export const DemoDatabaseSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  path: z.string(),
  sizeBytes: z.number().int(),
  tables: z.array(DemoTableSchema),
});
export type DemoDatabase = z.infer<typeof DemoDatabaseSchema>;

// ---------------------------------------------------------------------------------------------------------------

export const procedures = {
  'app.info': procedure({
    description: 'Version, data folder, host machine and inference engine (GPU type, CPU cores, VRAM).',
    input: noInput,
    output: AppInfoSchema,
  }),
  'app.health': procedure({
    description: 'Liveness of the backend: store reachable and migrated, data folder writable.',
    input: noInput,
    output: HealthSchema,
  }),
  'settings.get': procedure({
    description: 'The user preferences.',
    input: noInput,
    output: SettingsSchema,
  }),
  'settings.update': procedure({
    description: 'Changes some preferences; returns all of them.',
    input: SettingsSchema.partial().strict(),
    output: SettingsSchema,
  }),
  'demo.list': procedure({
    description: 'The bundled demo databases with their tables and row counts.',
    input: noInput,
    output: z.array(DemoDatabaseSchema),
  }),
  'demo.get': procedure({
    description: 'One bundled demo database by id.',
    input: z.strictObject({ id: z.string().min(1).max(64) }),
    output: DemoDatabaseSchema,
  }),
} as const;

export const events = {
  'app.metrics': event({
    description: 'Backend process resource use, sampled every 2 s while someone listens.',
    payload: MetricsSchema,
  }),
  'settings.changed': event({
    description: 'The preferences after any change, from any window or tab.',
    payload: SettingsSchema,
  }),
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

export const isProcedureName = (name: string): name is ProcedureName => Object.hasOwn(procedures, name);
export const isEventName = (name: string): name is EventName => Object.hasOwn(events, name);
