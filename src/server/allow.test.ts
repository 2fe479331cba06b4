/**
 * `squill serve --allow DIR`: every procedure that takes a path on the server is confined to the folders, after
 * links are resolved, and the refusal says nothing about whether the file exists.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { procedures, SERVER_PATHS, serverPathsOf, type ProcedureName } from '../shared/contract/index.ts';
import { startTestServer, type TestServer } from '../../test/server.ts';
import { stringFields } from '../../test/zodArbitrary.ts';

let t: TestServer;
let root: string;
let allowed: string;
let outside: string;
let ws: WebSocket;
let nextId = 1;
const answers = new Map<number, (r: CallAnswer) => void>();
type CallAnswer = { ok: boolean; output?: unknown; error?: { code: string; message: string } };

beforeAll(async () => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'squill-allow-')));
  allowed = path.join(root, 'allowed');
  outside = path.join(root, 'outside');
  fs.mkdirSync(allowed);
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret.sqlite'), 'not for clients');
  fs.writeFileSync(path.join(allowed, 'inside.sqlite'), 'x');
  fs.symlinkSync(outside, path.join(allowed, 'link-out'));
  fs.symlinkSync(path.join(outside, 'secret.sqlite'), path.join(allowed, 'secret-link.sqlite'));
  t = await startTestServer(path.join(root, 'data'), { allow: [allowed] });
  ws = new WebSocket(t.wsUrl, { origin: t.base });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { type: string; id: number; result: CallAnswer };
    if (m.type === 'result') answers.get(m.id)?.(m.result);
  });
});
afterAll(async () => {
  ws?.close();
  await t?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function call(method: ProcedureName, input: unknown): Promise<CallAnswer> {
  const id = nextId++;
  return new Promise((resolve) => {
    answers.set(id, resolve);
    ws.send(JSON.stringify({ type: 'call', id, method, input }));
  });
}

/** A valid input per procedure that takes server paths, every path in it inside the allowed folder. */
const inside = () => path.join(allowed, 'inside.sqlite');
const config = () => ({ model: { path: inside() }, dataset: [{ kind: 'jsonl', path: inside() }], dev: { kind: 'jsonl', path: inside() } });
const VALID_INPUTS: Partial<Record<ProcedureName, () => unknown[]>> = {
  'connections.add': () => [{ path: inside() }],
  'models.add': () => [{ path: inside() }],
  'adapters.add': () => [{ modelId: 'm', path: inside() }],
  'eval.start': () => [
    { bench: 'spider', dataDir: allowed, predictions: { content: 'SELECT 1', fileName: 'p.sql' } },
    { bench: 'jsonl', predictions: { path: inside() } },
  ],
  'eval.generate': () => [{ bench: 'spider', dataDir: allowed, modelId: 'm', strategy: 'direct' }],
  'train.create': () => [{ method: 'sft', config: config() }],
  'train.checkData': () => [{ method: 'sft', config: config() }],
  'train.estimate': () => [{ method: 'sft', config: config() }],
};

/** Sets the value at `at` (`config.dataset[0].path`) in a copy of `input`. */
function withPathAt(input: unknown, at: string, value: string): unknown {
  const copy = structuredClone(input) as Record<string, unknown>;
  const keys = at.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '');
  let node: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys.at(-1)!] = value;
  return copy;
}

const takesPaths = (method: ProcedureName) => stringFields(procedures[method].input).some((f) => SERVER_PATHS.has(f.schema));

describe('squill serve --allow', () => {
  it('knows every path field of the contract: a string field named like a path is a server path', () => {
    const pathLike = /(^|\.)(path|\w*Dir|\w*[Ff]older|file)$/;
    for (const method of Object.keys(procedures) as ProcedureName[]) {
      for (const field of stringFields(procedures[method].input)) {
        if (pathLike.test(field.at.replace(/\[\]/g, ''))) expect(SERVER_PATHS.has(field.schema), `${method} ${field.at}`).toBe(true);
      }
    }
  });

  it('has a case for every procedure that takes a path, and each case names its paths', () => {
    const withPaths = (Object.keys(procedures) as ProcedureName[]).filter(takesPaths).sort();
    expect(Object.keys(VALID_INPUTS).sort()).toEqual(withPaths);
    for (const [method, inputs] of Object.entries(VALID_INPUTS)) {
      for (const input of inputs()) {
        expect(procedures[method as ProcedureName].input.safeParse(input).success, method).toBe(true);
        expect(serverPathsOf(method as ProcedureName, input).length, method).toBeGreaterThan(0);
      }
    }
  });

  for (const [method, inputs] of Object.entries(VALID_INPUTS) as [ProcedureName, () => unknown[]][]) {
    it(`${method}: refuses every path outside the folder, links and dot segments included, and lets inside ones through`, async () => {
      for (const input of inputs()) {
        for (const { at } of serverPathsOf(method, input)) {
          const escapes = [
            path.join(outside, 'secret.sqlite'),
            path.join(outside, 'no-such-file.sqlite'),
            `${allowed}/../outside/secret.sqlite`,
            path.join(allowed, 'link-out', 'secret.sqlite'),
            path.join(allowed, 'secret-link.sqlite'),
            path.join(allowed, 'link-out', 'new', 'deeper.sqlite'),
            '/etc/passwd',
            path.relative(process.cwd(), path.join(outside, 'secret.sqlite')),
            root,
          ];
          const messages = new Set<string>();
          for (const escape of escapes) {
            const answer = await call(method, withPathAt(input, at, escape));
            expect(answer, `${method} ${at} = ${escape}`).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
            messages.add(answer.error!.message);
          }
          // one message whatever the path: existing, missing or linked files are refused alike
          expect(messages.size, `${method} ${at}`).toBe(1);
        }
        const answer = await call(method, input);
        if (!answer.ok) expect(answer.error!.code, `${method} inside`).not.toBe('FORBIDDEN');
      }
    });
  }

  it('lists only benchmark folders inside the allowed folders', async () => {
    const answer = await call('eval.benchmarks', {});
    expect(answer.ok).toBe(true);
    for (const b of answer.output as { path: string }[]) expect(b.path.startsWith(allowed)).toBe(true);
  });

  it('leaves the unconfined backend (the desktop app) as it was', async () => {
    const answer = await t.core.backend.call('connections.add', { path: path.join(outside, 'secret.sqlite') });
    expect(answer.ok).toBe(false);
    if (!answer.ok) expect(answer.error.code).not.toBe('FORBIDDEN');
  });
});
