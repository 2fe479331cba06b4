/**
 * What a strategy needs from a model, whether it runs in this process (node-llama-cpp) or behind an
 * OpenAI-compatible endpoint: render a chat, count tokens, generate (optionally under a grammar) with streaming.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A grammar the decoder must follow: GBNF source (llama.cpp's format) or a JSON schema. */
export type GrammarSpec = { kind: 'gbnf'; name: string; source: string } | { kind: 'json'; name: string; schema: Record<string, unknown> };

export interface GenerateOptions {
  messages: ChatMessage[];
  /** text the answer is forced to start with (it is part of the returned text) */
  prefix?: string;
  grammar?: GrammarSpec | null;
  temperature: number;
  topP: number;
  topK: number;
  maxTokens: number;
  seed?: number;
  stop?: string[];
  onText?: (text: string) => void;
  signal?: AbortSignal;
}

export interface Generation {
  /** prefix + generated text */
  text: string;
  /** the prompt exactly as the model saw it */
  prompt: string;
  promptTokens: number;
  completionTokens: number;
  ms: number;
  stopReason: 'eos' | 'stop' | 'maxTokens' | 'abort';
}

export interface TextModel {
  readonly name: string;
  readonly sha256: string | null;
  readonly contextSize: number;
  /** true when grammars are enforced (local models and llama-server; other endpoints may ignore them) */
  readonly supportsGrammar: boolean;
  countTokens(text: string): Promise<number>;
  /** the prompt a chat renders to, ready for the assistant's answer */
  render(messages: ChatMessage[]): Promise<string>;
  generate(options: GenerateOptions): Promise<Generation>;
  /**
   * Up to n views of this model whose generate calls may run at the same time and are decoded together (one decode
   * per step for all of them). Absent where the model cannot batch (remote endpoints): generate one call at a time.
   */
  parallel?(n: number): Promise<TextModel[]>;
  dispose(): Promise<void>;
}

export const GREEDY = { temperature: 0, topP: 1, topK: 0 } as const;
