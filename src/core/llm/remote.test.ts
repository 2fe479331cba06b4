/**
 * The remote TextModel against a real llama-server (built from the same llama.cpp tree as the trainer; npm install
 * builds it) on loopback, serving a tiny random model with a real tokenizer. In CI a missing server fails the suite;
 * elsewhere it is skipped with the command that builds it.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, tempDir } from '../../../test/helpers.ts';
import { getLlama } from './engine.ts';
import { BUILD_SERVER_COMMAND, llamaServerBinary, startLlamaServer, type LlamaServer } from './llamaServer.ts';
import { createModel } from './modelCreate.ts';
import { openRemoteTextModel } from './remote.ts';
import { GREEDY, type GenerateOptions, type TextModel } from './textModel.ts';

const binary = llamaServerBinary();
if (!binary && !process.env.CI) console.warn(`remote model tests skipped: llama-server is not built; run \`${BUILD_SERVER_COMMAND}\``);

const ask = (o: Partial<GenerateOptions> = {}): GenerateOptions => ({
  messages: [
    { role: 'system', content: 'Answer with SQL.' },
    { role: 'user', content: 'How many singers are there?' },
  ],
  ...GREEDY,
  maxTokens: 8,
  seed: 1,
  ...o,
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(!binary && !process.env.CI)('remote model on llama-server', () => {
  let dir: string;
  let modelPath: string;
  let server: LlamaServer;
  let keyed: LlamaServer;
  let remote: TextModel;
  const key = 'sk-test-0123456789';

  beforeAll(async () => {
    if (!binary) throw new Error(`llama-server is not built; run \`${BUILD_SERVER_COMMAND}\``);
    dir = fs.mkdtempSync(path.join(path.dirname(tempDir()), 'squill-remote-test-'));
    modelPath = path.join(dir, 'tiny.gguf');
    createModel({ arch: 'llama', shape: { layers: 2, embd: 64, ff: 128, heads: 4, kvHeads: 2 }, vocab: 'llama-bpe', out: modelPath, seed: 3 });
    [server, keyed] = await Promise.all([
      startLlamaServer({ model: modelPath, alias: 'tiny', contextSize: 1024, threads: 1 }),
      startLlamaServer({ model: modelPath, alias: 'tiny', contextSize: 1024, threads: 1, apiKey: key }),
    ]);
    remote = await openRemoteTextModel({ name: 'tiny (llama-server)', baseUrl: server.baseUrl, model: 'tiny' });
  }, 120_000);
  afterAll(async () => {
    await remote?.dispose();
    await Promise.all([server?.stop(), keyed?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('recognises llama-server: grammars enforced, its context size, its tokenizer and chat template', async () => {
    expect(remote.supportsGrammar).toBe(true);
    expect(remote.contextSize).toBe(1024);
    expect(remote.sha256).toBeNull();

    const llama = await getLlama();
    const local = await llama.loadModel({ modelPath });
    try {
      for (const text of ['SELECT name FROM singer WHERE age > 30;', 'Wie viele Sänger gibt es? 歌手', '<|eot_id|> is text here']) {
        expect(await remote.countTokens(text)).toBe(local.tokenize(text).length);
      }
    } finally {
      await local.dispose();
    }
    const prompt = await remote.render(ask().messages);
    expect(prompt).toContain('<|start_header_id|>user<|end_header_id|>');
    expect(prompt).toContain('How many singers are there?');
    expect(prompt.trimEnd().endsWith('<|start_header_id|>assistant<|end_header_id|>')).toBe(true);
  });

  it('streams the answer and returns token counts from the server', async () => {
    const pieces: string[] = [];
    const g = await remote.generate(ask({ maxTokens: 12, onText: (t) => pieces.push(t) }));
    expect(pieces.length).toBeGreaterThan(1);
    expect(g.text).toBe(pieces.join(''));
    expect(g.completionTokens).toBeGreaterThan(0);
    expect(g.completionTokens).toBeLessThanOrEqual(12);
    expect(g.promptTokens).toBeGreaterThan(10);
    expect(g.prompt).toBe(await remote.render(ask().messages));
    expect(['maxTokens', 'eos']).toContain(g.stopReason);
    if (g.stopReason === 'maxTokens') expect(g.completionTokens).toBe(12);
    // greedy and seeded: the same answer again
    expect((await remote.generate(ask({ maxTokens: 12 }))).text).toBe(g.text);
  });

  it('enforces a GBNF grammar', async () => {
    const g = await remote.generate(ask({ maxTokens: 32, grammar: { kind: 'gbnf', name: 'fixed', source: 'root ::= "SELECT 1"' } }));
    expect(g.text).toBe('SELECT 1');
    expect(g.stopReason).toBe('eos');
  });

  it('enforces a JSON schema', async () => {
    const schema = {
      type: 'object',
      properties: { sql: { type: 'string', enum: ['SELECT 1', 'SELECT 2'] }, rows: { type: 'integer', minimum: 0, maximum: 9 } },
      required: ['sql', 'rows'],
      additionalProperties: false,
    };
    const g = await remote.generate(ask({ maxTokens: 64, grammar: { kind: 'json', name: 'answer', schema } }));
    const value = JSON.parse(g.text) as { sql: string; rows: number };
    expect(['SELECT 1', 'SELECT 2']).toContain(value.sql);
    expect(Object.keys(value).sort()).toEqual(['rows', 'sql']);
    expect(Number.isInteger(value.rows)).toBe(true);
  });

  it('continues a forced prefix and returns it as part of the text', async () => {
    let streamed = '';
    const g = await remote.generate(ask({
      prefix: 'SELECT',
      maxTokens: 16,
      grammar: { kind: 'gbnf', name: 'rest', source: 'root ::= " COUNT(*) FROM singer"' },
      onText: (t) => (streamed += t),
    }));
    expect(g.text).toBe('SELECT COUNT(*) FROM singer');
    // like a local model: the prefix is not streamed, only what the model added
    expect(streamed).toBe(' COUNT(*) FROM singer');
    expect(g.prompt.endsWith('SELECT')).toBe(true);
  });

  it('stops when aborted and returns what it had', async () => {
    const controller = new AbortController();
    let streamed = '';
    const g = await remote.generate(ask({
      maxTokens: 800,
      signal: controller.signal,
      onText: (t) => {
        streamed += t;
        controller.abort();
      },
    }));
    expect(g.stopReason).toBe('abort');
    expect(g.text.startsWith(streamed)).toBe(true);
    expect(g.text.length).toBeGreaterThan(0);
    // the server is free again
    expect((await remote.generate(ask({ maxTokens: 2 }))).completionTokens).toBeGreaterThan(0);
  });

  it('says that nothing listens at a closed port, naming the URL', async () => {
    const baseUrl = `http://127.0.0.1:${await closedPort()}/v1`;
    const err = await failure(openRemoteTextModel({ name: 'x', baseUrl, model: 'tiny' }));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain(baseUrl);
    expect(err.message).toContain('connection refused');
  });

  it('gives up on a server that accepts the connection and never answers', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/v1`;
      const err = await failure(openRemoteTextModel({ name: 'x', baseUrl, model: 'tiny', timeoutMs: 300 }));
      expect(err.code).toBe('TIMEOUT');
      expect(err.message).toContain(baseUrl);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('says that the server has no such model, and which it has', async () => {
    const err = await failure(openRemoteTextModel({ name: 'x', baseUrl: server.baseUrl, model: 'qwen-7b' }));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain('qwen-7b');
    expect(err.message).toContain('tiny');
  });

  it('says when the base URL is wrong', async () => {
    const err = await failure(openRemoteTextModel({ name: 'x', baseUrl: server.baseUrl.replace(/\/v1$/, '/api/v2'), model: 'tiny' }));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain('/api/v2');
  });

  it('needs the API key a server was started with, and never shows it', async () => {
    const missing = await failure(openRemoteTextModel({ name: 'x', baseUrl: keyed.baseUrl, model: 'tiny' }));
    expect(missing.code).toBe('UNAUTHORIZED');
    expect(missing.message).toContain(keyed.baseUrl);
    const wrong = await failure(openRemoteTextModel({ name: 'x', baseUrl: keyed.baseUrl, model: 'tiny', apiKey: 'sk-wrong-key' }));
    expect(wrong.code).toBe('UNAUTHORIZED');
    expect(wrong.message).not.toContain('sk-wrong-key');

    const ok = await openRemoteTextModel({ name: 'x', baseUrl: keyed.baseUrl, model: 'tiny', apiKey: key });
    try {
      const g = await ok.generate(ask({ maxTokens: 16, grammar: { kind: 'gbnf', name: 'fixed', source: 'root ::= "SELECT 1"' } }));
      expect(g.text).toBe('SELECT 1');
      expect(await ok.countTokens('SELECT 1')).toBeGreaterThan(0);
    } finally {
      await ok.dispose();
    }
  });
});
