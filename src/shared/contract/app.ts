/** The contract, app.* and settings.*: the app, its health and preferences. */
import { z } from 'zod';
import { event, noInput, procedure } from './define.ts';

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

// settings.* — user preferences kept in the app store, shared by the desktop app and browser tabs

export const THEMES = ['system', 'light', 'dark'] as const;
export const SettingsSchema = z.object({
  theme: z.enum(THEMES),
});
export type Settings = z.infer<typeof SettingsSchema>;
export const DEFAULT_SETTINGS: Settings = { theme: 'system' };

export const appProcedures = {
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
} as const;

export const appEvents = {
  'app.metrics': event({
    description: 'Backend process resource use, sampled every 2 s while someone listens.',
    payload: MetricsSchema,
  }),
  'settings.changed': event({
    description: 'The preferences after any change, from any window or tab.',
    payload: SettingsSchema,
  }),
} as const;
