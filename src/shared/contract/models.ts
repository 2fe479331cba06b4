/** The contract, models.* and adapters.*: local GGUF models, remote endpoints, LoRA adapters. */
import { z } from 'zod';
import { event, filePath, noInput, procedure } from './define.ts';

// models.* / adapters.* — local GGUF models, remote OpenAI-compatible endpoints, and LoRA adapters per model

export const ModelMetadataSchema = z.object({
  architecture: z.string(),
  /** parameter count from the tensor shapes */
  parameters: z.number(),
  /** llama.cpp file type, e.g. "F32", "Q4_K_M" */
  quantization: z.string(),
  contextLength: z.number().int().nullable(),
  layers: z.number().int().nullable(),
  embeddingLength: z.number().int().nullable(),
  vocabSize: z.number().int().nullable(),
  chatTemplate: z.string().nullable(),
  /** the model's own name from general.name, when present */
  name: z.string().nullable(),
});
export type ModelMetadata = z.infer<typeof ModelMetadataSchema>;

export const AdapterSchema = z.object({
  id: z.string(),
  modelId: z.string(),
  name: z.string(),
  path: z.string(),
  /** trained: made by a Squill fine-tuning job; imported: a GGUF LoRA added from disk */
  source: z.enum(['trained', 'imported']),
  sizeBytes: z.number().int(),
  addedAt: z.string(),
  status: z.enum(['ok', 'missing']),
});
export type Adapter = z.infer<typeof AdapterSchema>;

export const RemoteEndpointSchema = z.object({
  /** base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1 */
  baseUrl: z.string(),
  /** the model name the endpoint expects */
  model: z.string(),
  hasApiKey: z.boolean(),
});

export const ModelSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['local', 'remote']),
  /** local models: the GGUF file */
  path: z.string().nullable(),
  remote: RemoteEndpointSchema.nullable(),
  /** file: added from disk; download: fetched by Squill; created: made by `squill model create` or a job */
  source: z.enum(['file', 'download', 'created', 'remote']),
  sizeBytes: z.number().int().nullable(),
  /** sha256 of the file, computed in the background; null until known */
  sha256: z.string().nullable(),
  metadata: ModelMetadataSchema.nullable(),
  addedAt: z.string(),
  status: z.enum(['ok', 'missing', 'unreadable']),
  error: z.string().optional(),
  /** loaded into memory now (local) */
  loaded: z.boolean(),
  /** the load settings last used (local): GPU layers and context size */
  settings: z.object({ gpuLayers: z.union([z.literal('auto'), z.number().int()]).optional(), contextSize: z.number().int().optional() }).optional(),
  adapters: z.array(AdapterSchema),
});
export type Model = z.infer<typeof ModelSchema>;

export const ModelFitSchema = z.object({
  gpu: z.union([z.literal(false), z.string()]),
  /** layers that would be offloaded with the requested setting */
  gpuLayers: z.number().int(),
  totalLayers: z.number().int(),
  contextSize: z.number().int(),
  /** estimated bytes for weights + context */
  vramBytes: z.number(),
  ramBytes: z.number(),
  freeVramBytes: z.number().nullable(),
  freeRamBytes: z.number(),
  fits: z.boolean(),
  note: z.string().nullable(),
});
export type ModelFit = z.infer<typeof ModelFitSchema>;

export const RecommendedModelSchema = z.object({
  name: z.string(),
  uri: z.string(),
  sizeBytes: z.number(),
  parameters: z.string(),
  description: z.string(),
  fit: ModelFitSchema.nullable(),
});

export const DownloadSchema = z.object({
  id: z.string(),
  uri: z.string(),
  name: z.string(),
  status: z.enum(['downloading', 'done', 'failed', 'cancelled']),
  downloadedBytes: z.number(),
  totalBytes: z.number().nullable(),
  error: z.string().nullable(),
  /** the registered model once done */
  modelId: z.string().nullable(),
});
export type Download = z.infer<typeof DownloadSchema>;

export const modelId = z.string().min(1).max(64);
const gpuLayers = z.union([z.literal('auto'), z.number().int().min(0).max(10_000)]);

export const modelsProcedures = {
  'models.list': procedure({
    description: 'Every registered model (local GGUF files and remote endpoints) with its adapters.',
    input: noInput,
    output: z.array(ModelSchema),
  }),
  'models.add': procedure({
    description: 'Registers a GGUF file on the backend machine; reads its metadata (the file is not copied).',
    input: z.strictObject({ path: filePath, name: z.string().trim().min(1).max(200).optional() }),
    output: ModelSchema,
  }),
  'models.addRemote': procedure({
    description: 'Registers an OpenAI-compatible endpoint (llama-server, vLLM, Ollama) as a model.',
    input: z.strictObject({
      name: z.string().trim().min(1).max(200),
      baseUrl: z.string().trim().url().max(2000),
      model: z.string().trim().min(1).max(300),
      apiKey: z.string().max(1000).optional(),
    }),
    output: ModelSchema,
  }),
  'models.remove': procedure({
    description: 'Forgets a model (unloading it first); files on disk stay unless Squill downloaded them and `deleteFile` is set.',
    input: z.strictObject({ id: modelId, deleteFile: z.boolean().optional() }),
    output: z.object({ removed: z.literal(true) }),
  }),
  'models.fit': procedure({
    description: 'Memory estimate for loading a local model with a given GPU offload and context size.',
    input: z.strictObject({ id: modelId, gpuLayers: gpuLayers.optional(), contextSize: z.number().int().min(256).max(1_048_576).optional() }),
    output: ModelFitSchema,
  }),
  'models.load': procedure({
    description: 'Loads a local model into memory (checking the memory estimate first).',
    input: z.strictObject({ id: modelId, gpuLayers: gpuLayers.optional(), contextSize: z.number().int().min(256).max(1_048_576).optional() }),
    output: ModelSchema,
  }),
  'models.unload': procedure({
    description: 'Frees a loaded model.',
    input: z.strictObject({ id: modelId }),
    output: ModelSchema,
  }),
  'models.recommended': procedure({
    description: 'Models that suit text-to-SQL on a desktop, with sizes and whether they fit this machine.',
    input: noInput,
    output: z.array(RecommendedModelSchema),
  }),
  'models.download': procedure({
    description: 'Starts downloading a model (hf: URI or https URL) into the data folder; resumes a partial file.',
    input: z.strictObject({ uri: z.string().trim().min(3).max(2000), name: z.string().trim().min(1).max(200).optional() }),
    output: DownloadSchema,
  }),
  'models.downloads': procedure({
    description: 'Downloads of this session, newest first.',
    input: noInput,
    output: z.array(DownloadSchema),
  }),
  'models.cancelDownload': procedure({
    description: 'Stops a download; the partial file stays so a later download resumes.',
    input: z.strictObject({ id: z.string().min(1).max(64) }),
    output: DownloadSchema,
  }),
  'adapters.add': procedure({
    description: 'Attaches a GGUF LoRA adapter file to a model (checked against the model first).',
    input: z.strictObject({ modelId, path: filePath, name: z.string().trim().min(1).max(200).optional() }),
    output: AdapterSchema,
  }),
  'adapters.remove': procedure({
    description: 'Detaches an adapter from its model (the file stays).',
    input: z.strictObject({ id: z.string().min(1).max(64) }),
    output: z.object({ removed: z.literal(true) }),
  }),
} as const;

export const modelsEvents = {
  'models.changed': event({
    description: 'The model list after any change (added, removed, loaded, unloaded, adapter attached).',
    payload: z.array(ModelSchema),
  }),
  'models.download': event({
    description: 'Download progress (about every 250 ms) and state changes.',
    payload: DownloadSchema,
  }),
} as const;
