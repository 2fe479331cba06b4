/**
 * A TextModel over a loaded node-llama-cpp model: one context per (model, adapter) with one sequence, reused across
 * calls so a shared prompt prefix is evaluated once; calls on it are serialized. parallel(n) gives n lanes of a
 * second context (made on first use) whose generations are batched together (vote's samples).
 */
import {
  LlamaCompletion,
  resolveChatWrapper,
  type ChatHistoryItem,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaGrammar,
  type LlamaModel,
  type LlamaText,
} from 'node-llama-cpp';
import { SquillError } from '../../shared/errors.ts';
import { getLlama } from './engine.ts';
import { inferenceThreads } from './threads.ts';
import type { ChatMessage, GenerateOptions, Generation, GrammarSpec, TextModel } from './textModel.ts';

export { inferenceThreads } from './threads.ts';

export interface LocalModelOptions {
  name: string;
  sha256: string | null;
  adapterPath?: string | null;
  contextSize?: number;
  /** CPU threads for this context (default: SQUILL_THREADS, else node-llama-cpp's choice, all math cores) */
  threads?: number;
}


/**
 * resolveChatWrapper renders test chats through the model's Jinja template to pick a wrapper: 60-90 ms a call,
 * the bulk of an ask's non-model time with the tiny model when done per model call. A model's template never changes.
 */
const wrappers = new WeakMap<LlamaModel, ReturnType<typeof resolveChatWrapper>>();

/** The chat as the model's own template renders it, ending where the assistant's answer starts. */
export function renderChat(model: LlamaModel, messages: ChatMessage[]): LlamaText {
  let wrapper = wrappers.get(model);
  if (!wrapper) wrappers.set(model, (wrapper = resolveChatWrapper(model)));
  const history: ChatHistoryItem[] = [];
  for (const m of messages) {
    if (m.role === 'system') history.push({ type: 'system', text: m.content });
    else if (m.role === 'user') history.push({ type: 'user', text: m.content });
    else history.push({ type: 'model', response: [m.content] });
  }
  history.push({ type: 'model', response: [] });
  return wrapper.generateContextState({ chatHistory: history }).contextText;
}

const grammarCache = new WeakMap<object, Map<string, Promise<LlamaGrammar>>>();

async function toLlamaGrammar(spec: GrammarSpec): Promise<LlamaGrammar> {
  const llama = await getLlama();
  let cache = grammarCache.get(llama);
  if (!cache) grammarCache.set(llama, (cache = new Map()));
  const key = spec.kind === 'gbnf' ? `g:${spec.source}` : `j:${JSON.stringify(spec.schema)}`;
  let grammar = cache.get(key);
  if (!grammar) {
    grammar = spec.kind === 'gbnf' ? llama.createGrammar({ grammar: spec.source }) : llama.createGrammarForJsonSchema(spec.schema as never);
    grammar.catch(() => cache.delete(key));
    cache.set(key, grammar);
    if (cache.size > 64) cache.delete(cache.keys().next().value!);
  }
  return grammar.catch((err: Error) => {
    throw new SquillError('INTERNAL', `The ${spec.name} grammar is invalid: ${err.message}`);
  });
}

/** the most lanes (sequences of one context) a parallel() call gets: more adds KV memory for little more speed on a CPU */
export const MAX_LANES = 16;

export async function openLocalTextModel(model: LlamaModel, options: LocalModelOptions): Promise<TextModel> {
  const contextSize = Math.min(options.contextSize ?? 4096, model.trainContextSize);
  const createContext = async (sequences: number) => {
    try {
      return await model.createContext({
        contextSize,
        sequences,
        flashAttention: false,
        threads: options.threads ?? inferenceThreads(),
        ...(options.adapterPath ? { lora: { adapters: [{ filePath: options.adapterPath }] } } : {}),
      });
    } catch (err) {
      throw new SquillError('UNAVAILABLE', `Could not create a context for ${options.name}: ${(err as Error).message}`);
    }
  };
  const context = await createContext(1);
  const main = lane(context.getSequence());
  // the lanes of parallel(): a second context, made on first use (votes), with one sequence per lane
  type Batch = { context: LlamaContext; lanes: TextModel[] };
  let batch: Batch | null = null;
  let batchOpening: Promise<Batch> | null = null;

  /** generation on one sequence; calls on a lane are serialized, lanes of one context run together */
  function lane(sequence: LlamaContextSequence) {
    const completion = new LlamaCompletion({ contextSequence: sequence });
    let queue: Promise<unknown> = Promise.resolve();
    const serialize = <T>(fn: () => Promise<T>): Promise<T> => {
      const next = queue.then(fn, fn);
      queue = next.catch(() => undefined);
      return next;
    };
    const generate = async (o: GenerateOptions): Promise<Generation> => {
      const rendered = renderChat(model, o.messages);
      const promptText = rendered.toString() + (o.prefix ?? '');
      const promptTokens = [...rendered.tokenize(model.tokenizer), ...(o.prefix ? model.tokenize(o.prefix) : [])];
      if (promptTokens.length + 1 >= contextSize) {
        throw new SquillError('LIMIT', `The prompt has ${promptTokens.length} tokens; the context holds ${contextSize}. Lower the schema budget or raise the context size.`);
      }
      const grammar = o.grammar ? await toLlamaGrammar(o.grammar) : undefined;
      const started = performance.now();
      let completionTokens = 0;
      const response = await completion.generateCompletionWithMeta(promptTokens, {
        maxTokens: Math.min(o.maxTokens, contextSize - promptTokens.length - 1),
        temperature: o.temperature,
        topP: o.topP,
        topK: o.topK,
        seed: o.seed,
        grammar,
        customStopTriggers: o.stop?.length ? o.stop : undefined,
        signal: o.signal,
        stopOnAbortSignal: true,
        disableContextShift: true,
        onToken: (tokens) => {
          completionTokens += tokens.length;
        },
        onTextChunk: o.onText,
      });
      const reason = response.metadata.stopReason;
      return {
        text: (o.prefix ?? '') + response.response,
        prompt: promptText,
        promptTokens: promptTokens.length,
        completionTokens,
        ms: performance.now() - started,
        stopReason: reason === 'eogToken' ? 'eos' : reason === 'maxTokens' ? 'maxTokens' : reason === 'abort' ? 'abort' : 'stop',
      };
    };
    const textModel: TextModel = {
      name: options.name,
      sha256: options.sha256,
      contextSize,
      supportsGrammar: true,
      countTokens: async (text) => model.tokenize(text).length,
      render: async (messages) => renderChat(model, messages).toString(),
      generate: (o) => serialize(() => generate(o)),
      async dispose() {
        await queue;
        completion.dispose();
      },
    };
    return textModel;
  }

  return {
    ...main,
    /**
     * n lanes (up to MAX_LANES) whose generations run together: node-llama-cpp puts the tokens that concurrent
     * sequences of one context evaluate into one batch, so a step of n samples is one decode. Each lane evaluates the
     * prompt itself (in the same batches); node-llama-cpp has no public way to share a sequence's KV cells.
     */
    async parallel(n) {
      const want = Math.max(1, Math.min(n, MAX_LANES));
      if (batch && batch.lanes.length >= want) return batch.lanes.slice(0, want);
      batchOpening ??= (async (): Promise<Batch> => {
        const old = batch;
        batch = null;
        if (old) {
          await Promise.all(old.lanes.map((l) => l.dispose()));
          await old.context.dispose();
        }
        const ctx = await createContext(want);
        return { context: ctx, lanes: Array.from({ length: want }, () => lane(ctx.getSequence())) };
      })().finally(() => {
        batchOpening = null;
      });
      const opened = await batchOpening;
      batch = opened;
      return opened.lanes.slice(0, want);
    },
    async dispose() {
      await main.dispose();
      await context.dispose();
      if (batch) {
        await Promise.all(batch.lanes.map((l) => l.dispose()));
        await batch.context.dispose();
      }
    },
  };
}
