/**
 * A TextModel behind an OpenAI-compatible HTTP endpoint (llama.cpp's llama-server, vLLM, Ollama, ...).
 *
 * Everything goes through POST {baseUrl}/chat/completions with `stream: true`. What differs between servers:
 * - llama-server (recognised by `owned_by: "llamacpp"` in /models or a `build_info` in its /props) enforces GBNF
 *   (`grammar`) and JSON schemas (`json_schema`), counts tokens exactly (POST /tokenize), renders the exact prompt
 *   (POST /apply-template) and continues a trailing assistant message, which is how `prefix` is sent.
 * - Other servers get a JSON schema as OpenAI's `response_format` (vLLM, Ollama and OpenAI honour it; nothing is
 *   guaranteed), no GBNF at all (`supportsGrammar` is false), chars/4 token estimates and a readable "role: content"
 *   rendering. A trailing assistant message is continued by vLLM only with `continue_final_message` (sent) and by
 *   Ollama's OpenAI API not at all (it starts a new answer), so for them the prefix is a hint, then prepended.
 * The API key travels only in the Authorization header; no message or error here contains it.
 */
import { SquillError } from '../../shared/errors.ts';
import type { ChatMessage, GenerateOptions, Generation, TextModel } from './textModel.ts';

export interface RemoteModelOptions {
  name: string;
  /** the API root, e.g. http://127.0.0.1:8080/v1 */
  baseUrl: string;
  /** the model name the endpoint expects */
  model: string;
  apiKey?: string;
  fetch?: typeof fetch;
  /** how long a request may wait for the server's next bytes (default 120 s: a busy CPU server can be slow to start) */
  timeoutMs?: number;
  /** used when the server does not say (llama-server and vLLM do); default 4096 */
  contextSize?: number;
}

type Flavor = 'llamacpp' | 'vllm' | 'other';

const PROBE_TIMEOUT_MS = 10_000;

/** The URL as it may be shown: without user:password. */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

function causeCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

async function errorText(res: Response): Promise<string> {
  const body = await res.text().catch(() => '');
  try {
    const json = JSON.parse(body) as { error?: { message?: string } | string; message?: string; detail?: unknown };
    const msg = typeof json.error === 'string' ? json.error : json.error?.message ?? json.message ?? (json.detail !== undefined ? JSON.stringify(json.detail) : undefined);
    if (msg) return msg;
  } catch {
    // not JSON: the text itself
  }
  return body.trim().slice(0, 300) || res.statusText;
}

/** A failed HTTP answer as the SquillError a user can act on. */
async function httpError(res: Response, url: string, model: string, hasKey: boolean): Promise<SquillError> {
  const text = await errorText(res);
  const where = displayUrl(url);
  if (res.status === 401 || res.status === 403) {
    return new SquillError(
      'UNAUTHORIZED',
      hasKey
        ? `The model server at ${where} rejected the API key (${res.status}: ${text}); check the key set for this model.`
        : `The model server at ${where} needs an API key (${res.status}: ${text}); set one for this model.`,
    );
  }
  if (res.status === 404) {
    return new SquillError('NOT_FOUND', /model/i.test(text)
      ? `The model server at ${where} has no model "${model}": ${text}`
      : `${where} was not found (404: ${text}); check the base URL (it usually ends in /v1).`);
  }
  if (res.status === 408 || res.status === 504) return new SquillError('TIMEOUT', `The model server at ${where} timed out (${res.status}: ${text}).`);
  if (res.status === 429) return new SquillError('UNAVAILABLE', `The model server at ${where} is busy or over its rate limit (429: ${text}); try again later.`);
  if (res.status === 503) return new SquillError('UNAVAILABLE', `The model server at ${where} is not ready (503: ${text}); it may still be loading the model.`);
  if (res.status >= 500) return new SquillError('UNAVAILABLE', `The model server at ${where} failed (${res.status}: ${text}).`);
  if (/context|too long|exceed/i.test(text)) {
    return new SquillError('LIMIT', `The model server at ${where} refused the prompt as too long (${text}). Lower the schema budget or use a model with a larger context.`);
  }
  return new SquillError('BAD_REQUEST', `The model server at ${where} rejected the request (${res.status}: ${text}).`);
}

function networkError(err: unknown, url: string, timedOut: boolean): SquillError {
  const where = displayUrl(url);
  if (timedOut) return new SquillError('TIMEOUT', `The model server at ${where} did not answer in time.`);
  const code = causeCode(err);
  if (code === 'ECONNREFUSED') return new SquillError('UNAVAILABLE', `Nothing is listening at ${where} (connection refused); start the model server or fix the base URL.`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new SquillError('UNAVAILABLE', `The host of ${where} cannot be resolved; check the base URL.`);
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return new SquillError('UNAVAILABLE', `The model server at ${where} closed the connection.`);
  const message = err instanceof Error ? err.message : String(err);
  return new SquillError('UNAVAILABLE', `Cannot reach the model server at ${where}: ${code ? `${code} ` : ''}${message}`);
}

/** Events of a text/event-stream: each `data:` payload (multi-line payloads joined by \n). */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line === '') {
          if (data.length) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line[5] === ' ' ? 6 : 5));
        }
        // comments (":") and other fields (event:, id:, retry:) carry nothing this client needs
      }
    }
    if (data.length) yield data.join('\n');
  } finally {
    // after [DONE] or a failure: let go of the connection rather than wait for the server to close it
    reader.cancel().catch(() => undefined);
  }
}

interface ChunkJson {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string; code?: number; type?: string } | string;
}

export async function openRemoteTextModel(o: RemoteModelOptions): Promise<TextModel> {
  const doFetch = o.fetch ?? globalThis.fetch;
  const baseUrl = o.baseUrl.trim().replace(/\/+$/, '');
  try {
    const u = new URL(baseUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new SquillError('VALIDATION', `"${displayUrl(baseUrl)}" is not an http(s) URL; give the API root, e.g. http://127.0.0.1:8080/v1`);
  }
  // llama-server's own endpoints (/tokenize, /apply-template, /props) live at the server root, not under /v1
  const root = baseUrl.replace(/\/v1$/, '');
  const timeoutMs = o.timeoutMs ?? 120_000;
  const inFlight = new Set<AbortController>();
  let disposed = false;

  const headers = (json: boolean): Record<string, string> => ({
    ...(json ? { 'content-type': 'application/json' } : {}),
    accept: json ? 'application/json, text/event-stream' : 'application/json',
    ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}),
  });

  /**
   * One request with a deadline that restarts whenever `touch()` is called (so a long stream is fine as long as
   * bytes keep coming), tied to the caller's signal and to dispose().
   */
  const request = async (url: string, init: { method: 'GET' | 'POST'; body?: unknown; signal?: AbortSignal; limitMs: number }) => {
    if (disposed) throw new SquillError('UNAVAILABLE', `The model ${o.name} was closed.`);
    const controller = new AbortController();
    inFlight.add(controller);
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new Error('timeout'));
      }, init.limitMs);
    };
    const onAbort = () => controller.abort(init.signal?.reason);
    init.signal?.addEventListener('abort', onAbort, { once: true });
    if (init.signal?.aborted) controller.abort(init.signal.reason);
    const done = () => {
      clearTimeout(timer);
      init.signal?.removeEventListener('abort', onAbort);
      inFlight.delete(controller);
    };
    touch();
    try {
      const res = await doFetch(url, {
        method: init.method,
        headers: headers(init.method === 'POST'),
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: controller.signal,
      });
      touch();
      return { res, touch, done, timedOut: () => timedOut, aborted: () => controller.signal.aborted && !timedOut };
    } catch (err) {
      done();
      if (controller.signal.aborted && !timedOut) throw new SquillError('CANCELLED', 'The request was cancelled.');
      throw networkError(err, url, timedOut);
    }
  };

  /** A JSON answer, or null when the server does not have this endpoint. */
  const getJson = async (url: string, method: 'GET' | 'POST', body?: unknown, optional = false): Promise<unknown> => {
    const r = await request(url, { method, body, limitMs: method === 'GET' ? Math.min(PROBE_TIMEOUT_MS, timeoutMs) : timeoutMs });
    try {
      if (optional && (r.res.status === 404 || r.res.status === 405 || r.res.status === 501)) {
        await r.res.body?.cancel();
        return null;
      }
      if (!r.res.ok) throw await httpError(r.res, url, o.model, !!o.apiKey);
      return await r.res.json();
    } catch (err) {
      if (err instanceof SquillError) throw err;
      throw r.timedOut() ? networkError(err, url, true) : new SquillError('UNAVAILABLE', `The model server at ${displayUrl(url)} sent an answer that is not JSON.`);
    } finally {
      r.done();
    }
  };

  // probe: reachable, key accepted, model served, and which server it is
  let flavor: Flavor = 'other';
  let contextSize = o.contextSize ?? 4096;
  // every OpenAI-compatible server answers GET /models: a 404 here means a wrong base URL
  const models = (await getJson(`${baseUrl}/models`, 'GET')) as {
    data?: { id?: string; owned_by?: string; aliases?: string[]; max_model_len?: number; meta?: { n_ctx?: number } }[];
  } | null;
  const served = Array.isArray(models?.data) ? models.data : [];
  if (served.some((m) => m.owned_by === 'llamacpp')) flavor = 'llamacpp';
  else if (served.some((m) => m.owned_by === 'vllm')) flavor = 'vllm';
  if (served.length > 0) {
    const entry = served.find((m) => m.id === o.model || m.aliases?.includes(o.model));
    if (!entry) {
      const names = served.map((m) => m.id).filter(Boolean).slice(0, 10).join(', ');
      throw new SquillError('NOT_FOUND', `The model server at ${displayUrl(baseUrl)} has no model "${o.model}"; it serves: ${names}.`);
    }
    const n = entry.meta?.n_ctx ?? entry.max_model_len;
    if (typeof n === 'number' && n > 0) contextSize = n;
  }
  if (flavor === 'other' && served.length === 0) {
    // a llama-server whose models list says nothing about itself (older builds): its /props names it
    const props = (await getJson(`${root}/props`, 'GET', undefined, true).catch(() => null)) as {
      build_info?: string;
      default_generation_settings?: { n_ctx?: number };
    } | null;
    if (props && typeof props.build_info === 'string' && props.default_generation_settings) {
      flavor = 'llamacpp';
      if (props.default_generation_settings.n_ctx) contextSize = props.default_generation_settings.n_ctx;
    }
  }
  const llamacpp = flavor === 'llamacpp';

  const toWire = (messages: ChatMessage[]) => messages.map((m) => ({ role: m.role, content: m.content }));
  const readable = (messages: ChatMessage[]) => `${messages.map((m) => `${m.role}: ${m.content}`).join('\n\n')}\n\nassistant:`;

  const render = async (messages: ChatMessage[], prefix?: string): Promise<string> => {
    const wire = prefix ? [...toWire(messages), { role: 'assistant', content: prefix }] : toWire(messages);
    if (!llamacpp) return prefix ? `${readable(messages)} ${prefix}` : readable(messages);
    const out = (await getJson(`${root}/apply-template`, 'POST', { messages: wire })) as { prompt?: unknown };
    if (typeof out?.prompt !== 'string') throw new SquillError('UNAVAILABLE', `The model server at ${displayUrl(root)} sent no prompt from /apply-template.`);
    return out.prompt;
  };

  const countTokens = async (text: string): Promise<number> => {
    if (!llamacpp) return Math.ceil(text.length / 4);
    // same tokenization as the local model's countTokens: no BOS, special-token text taken literally
    const out = (await getJson(`${root}/tokenize`, 'POST', { content: text, add_special: false, parse_special: false })) as { tokens?: unknown[] };
    if (!Array.isArray(out?.tokens)) throw new SquillError('UNAVAILABLE', `The model server at ${displayUrl(root)} sent no tokens from /tokenize.`);
    return out.tokens.length;
  };

  const generate = async (g: GenerateOptions): Promise<Generation> => {
    const started = performance.now();
    const prefix = g.prefix ?? '';
    const messages: { role: string; content: string }[] = toWire(g.messages);
    if (prefix) messages.push({ role: 'assistant', content: prefix });
    const body: Record<string, unknown> = {
      model: o.model,
      messages,
      stream: true,
      stream_options: { include_usage: true },
      temperature: g.temperature,
      top_p: g.topP,
      max_tokens: g.maxTokens,
    };
    if (g.topK > 0 && flavor !== 'other') body.top_k = g.topK;
    if (g.seed !== undefined) body.seed = g.seed;
    if (g.stop?.length) body.stop = g.stop;
    if (prefix && flavor === 'vllm') {
      body.add_generation_prompt = false;
      body.continue_final_message = true;
    }
    if (g.grammar) {
      if (llamacpp) {
        if (g.grammar.kind === 'gbnf') body.grammar = g.grammar.source;
        else body.json_schema = g.grammar.schema;
      } else if (g.grammar.kind === 'json') {
        body.response_format = { type: 'json_schema', json_schema: { name: g.grammar.name.replace(/[^\w-]/g, '_').slice(0, 64) || 'answer', schema: g.grammar.schema, strict: true } };
      }
      // GBNF on other servers: not sent (supportsGrammar is false there; the caller validates the answer)
    }

    // the prompt exactly as the server renders it, fetched alongside the answer
    const promptPromise = render(g.messages, prefix || undefined).catch(() => readable(g.messages) + (prefix ? ` ${prefix}` : ''));

    const url = `${baseUrl}/chat/completions`;
    let r: Awaited<ReturnType<typeof request>>;
    try {
      r = await request(url, { method: 'POST', body, signal: g.signal, limitMs: timeoutMs });
    } catch (err) {
      if (err instanceof SquillError && err.code === 'CANCELLED' && g.signal?.aborted) {
        const prompt = await promptPromise;
        return { text: prefix, prompt, promptTokens: 0, completionTokens: 0, ms: performance.now() - started, stopReason: 'abort' };
      }
      throw err;
    }

    let text = '';
    let chunks = 0;
    // llama-server streams a continued assistant message from its start, prefix included (older builds did not):
    // hold text back while it may still be that echo, then drop the echo
    let echo = llamacpp ? prefix : '';
    let held = '';
    const emit = (piece: string) => {
      if (echo) {
        held += piece;
        if (held.startsWith(echo)) {
          piece = held.slice(echo.length);
          echo = '';
          held = '';
        } else if (echo.startsWith(held)) {
          return;
        } else {
          piece = held;
          echo = '';
          held = '';
        }
      }
      if (!piece) return;
      text += piece;
      g.onText?.(piece);
    };
    let finish: string | null = null;
    let usage: ChunkJson['usage'] = null;
    let aborted = false;
    try {
      if (!r.res.ok) throw await httpError(r.res, url, o.model, !!o.apiKey);
      if (!r.res.body) throw new SquillError('UNAVAILABLE', `The model server at ${displayUrl(url)} sent an empty answer.`);
      const type = r.res.headers.get('content-type') ?? '';
      if (!type.includes('event-stream')) {
        // a server that ignores `stream: true` answers with one JSON completion
        const json = (await r.res.json()) as { choices?: { message?: { content?: string }; finish_reason?: string }[]; usage?: ChunkJson['usage'] };
        emit(json.choices?.[0]?.message?.content ?? '');
        finish = json.choices?.[0]?.finish_reason ?? null;
        usage = json.usage ?? null;
      } else {
        for await (const data of sseData(r.res.body)) {
          r.touch();
          if (data === '[DONE]') break;
          let chunk: ChunkJson;
          try {
            chunk = JSON.parse(data) as ChunkJson;
          } catch {
            continue; // keep-alive or a line this client does not understand
          }
          if (chunk.error) {
            const msg = typeof chunk.error === 'string' ? chunk.error : chunk.error.message ?? JSON.stringify(chunk.error);
            throw new SquillError(/context|exceed/i.test(msg) ? 'LIMIT' : 'UNAVAILABLE', `The model server at ${displayUrl(url)} failed while answering: ${msg}`);
          }
          if (chunk.usage) usage = chunk.usage;
          const choice = chunk.choices?.[0];
          if (!choice) continue;
          const piece = choice.delta?.content;
          if (piece) {
            chunks++;
            emit(piece);
          }
          if (choice.finish_reason) finish = choice.finish_reason;
        }
      }
    } catch (err) {
      if (r.aborted() && g.signal?.aborted) aborted = true;
      else if (err instanceof SquillError) throw err;
      else if (r.timedOut()) throw networkError(err, url, true);
      else if (disposed) throw new SquillError('CANCELLED', `The model ${o.name} was closed while answering.`);
      else throw networkError(err, url, false);
    } finally {
      r.done();
    }

    if (held) {
      // the answer ended inside what looked like the echo: it was the answer
      text += held;
      g.onText?.(held);
    }
    const prompt = await promptPromise;
    let promptTokens = usage?.prompt_tokens;
    if (promptTokens === undefined) promptTokens = await countTokens(prompt).catch(() => Math.ceil(prompt.length / 4));
    return {
      text: prefix + text,
      prompt,
      promptTokens,
      // one streamed chunk per token is what llama-server and vLLM send; usage is exact when the server gives it
      completionTokens: usage?.completion_tokens ?? chunks,
      ms: performance.now() - started,
      // OpenAI's "stop" covers both the end-of-sequence token and a stop string
      stopReason: aborted ? 'abort' : finish === 'length' ? 'maxTokens' : g.stop?.length && finish === 'stop' ? 'stop' : finish === 'stop' || finish === null ? 'eos' : 'stop',
    };
  };

  return {
    name: o.name,
    sha256: null,
    contextSize,
    supportsGrammar: llamacpp,
    countTokens,
    render: (messages) => render(messages),
    generate,
    async dispose() {
      disposed = true;
      for (const c of inFlight) c.abort(new Error('disposed'));
      inFlight.clear();
    },
  };
}
