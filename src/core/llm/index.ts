/**
 * Language models: node-llama-cpp (always loaded with `build: 'never'`), GGUF headers, random-weight model files for
 * tests and benchmarks (`squill model create`), local and remote (OpenAI-compatible) text models with grammars.
 */
export { openEmbedder, type Embedder, type OpenedEmbedder } from './embed.ts';
export { getEngineInfo, getLlama } from './engine.ts';
export { readGgufHeader, type GgufHeader } from './gguf.ts';
export { openLocalTextModel } from './local.ts';
export { SHAPES, createModel, type Arch, type ModelShape } from './modelCreate.ts';
export { openModelSpec, type ModelSpec, type OpenedModel } from './open.ts';
export { TYPES, WEIGHT_TYPES, type WeightType } from './quant.ts';
export { openRemoteTextModel } from './remote.ts';
export { GREEDY, type ChatMessage, type Generation, type GrammarSpec, type TextModel } from './textModel.ts';
export { inferenceThreads } from './threads.ts';
