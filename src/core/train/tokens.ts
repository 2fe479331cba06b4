/**
 * The tokenizer bridge: callers work with text and chat messages, the engine with tokens. Uses node-llama-cpp on the
 * same GGUF (vocab only) and the model's own chat template, so training sees exactly what inference will.
 */
import { resolveChatWrapper, type ChatHistoryItem, type LlamaModel } from 'node-llama-cpp';
import { SquillError } from '../../shared/errors.ts';
import { getLlama } from '../llm/index.ts';

export interface ChatExample {
  system?: string;
  user: string;
  assistant: string;
}

export interface TokenizerBridge {
  readonly model: LlamaModel;
  tokenize(text: string): number[];
  detokenize(tokens: number[]): string;
  /** the prompt as the chat template renders it, ready for the assistant's answer */
  promptTokens(example: Omit<ChatExample, 'assistant'>): number[];
  /** prompt + answer + end of turn, with weight 0 on the prompt and 1 on the answer (supervised fine-tuning) */
  supervised(example: ChatExample): { tokens: number[]; weights: number[] };
  /** the token that ends an answer */
  readonly endToken: number;
  dispose(): Promise<void>;
}

export async function openTokenizer(modelPath: string): Promise<TokenizerBridge> {
  const llama = await getLlama();
  const model = await llama.loadModel({ modelPath, vocabOnly: true });
  const wrapper = resolveChatWrapper(model);
  const endToken = model.tokens.eot ?? model.tokens.eos;
  if (endToken === null || endToken === undefined) {
    await model.dispose();
    throw new SquillError('VALIDATION', `${modelPath} has no end-of-turn or end-of-sequence token`);
  }
  const render = (history: ChatHistoryItem[]) =>
    wrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer) as number[];
  const history = (e: Omit<ChatExample, 'assistant'>, answer: string): ChatHistoryItem[] => [
    ...(e.system ? [{ type: 'system' as const, text: e.system }] : []),
    { type: 'user', text: e.user },
    { type: 'model', response: answer ? [answer] : [] },
  ];
  return {
    model,
    endToken,
    tokenize: (text) => model.tokenize(text) as number[],
    detokenize: (tokens) => model.detokenize(tokens as never),
    promptTokens: (e) => render(history(e, '')),
    supervised(e) {
      const prompt = render(history(e, ''));
      const full = render(history(e, e.assistant));
      if (!prompt.every((t, i) => full[i] === t)) {
        throw new SquillError('INTERNAL', 'The chat template renders the prompt differently once an answer follows');
      }
      const tokens = [...full, endToken];
      return { tokens, weights: tokens.map((_, i) => (i < prompt.length ? 0 : 1)) };
    },
    dispose: () => model.dispose(),
  };
}
