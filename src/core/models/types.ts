import type { Adapter, Download, Model, ModelFit } from '../../shared/contract/index.ts';
import type { TextModel } from '../llm/index.ts';

export interface LoadSettings {
  gpuLayers?: 'auto' | number;
  contextSize?: number;
}

/** The model manager: registered models and adapters (app store), loading, downloads, and TextModels for strategies. */
export interface Models {
  list(): Model[];
  get(id: string): Model;
  add(path: string, name?: string, source?: 'file' | 'download' | 'created'): Promise<Model>;
  addRemote(input: { name: string; baseUrl: string; model: string; apiKey?: string }): Model;
  remove(id: string, deleteFile?: boolean): Promise<void>;
  fit(id: string, settings?: LoadSettings): Promise<ModelFit>;
  load(id: string, settings?: LoadSettings): Promise<Model>;
  unload(id: string): Promise<Model>;
  recommended(): Promise<{ name: string; uri: string; sizeBytes: number; parameters: string; description: string; fit: ModelFit | null }[]>;
  download(uri: string, name?: string): Download;
  downloads(): Download[];
  cancelDownload(id: string): Download;
  addAdapter(modelId: string, path: string, name?: string, source?: Adapter['source']): Promise<Adapter>;
  removeAdapter(id: string): void;
  /** A TextModel for a registered model with an optional adapter; loads the model when needed. Cached. */
  textModel(modelId: string, adapterId?: string | null): Promise<TextModel>;
  close(): Promise<void>;
}
