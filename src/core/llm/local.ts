/**
 * A TextModel over a loaded node-llama-cpp model: one context per (model, adapter) with one sequence, reused across
 * calls so a shared prompt prefix (n votes on one question) is evaluated once. Calls are serialized per context.
 */
import {
  LlamaCompletion,
  resolveChatWrapper,
  type ChatHistoryItem,
  type LlamaContext,
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

export async function openLocalTextModel(model: LlamaModel, options: LocalModelOptions): Promise<TextModel> {
  const contextSize = Math.min(options.contextSize ?? 4096, model.trainContextSize);
  let context: LlamaContext;
  try {
    context = await model.createContext({
      contextSize,
      flashAttention: false,
      threads: options.threads ?? inferenceThreads(),
      ...(options.adapterPath ? { lora: { adapters: [{ filePath: options.adapterPath }] } } : {}),
    });
  } catch (err) {
    throw new SquillError('UNAVAILABLE', `Could not create a context for ${options.name}: ${(err as Error).message}`);
  }
  const sequence = context.getSequence();
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

  return {
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
      await context.dispose();
    },
  };
}
