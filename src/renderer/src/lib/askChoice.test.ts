import { describe, expect, it } from 'vitest';
import { ModelSchema, type Model } from '../../../shared/contract/index.ts';
import { askRequest, DEFAULT_CHOICE, loadChoice, newAskId, resolveChoice, saveChoice, settingsFor } from './askChoice.ts';

const model = (id: string, over: Partial<Model> = {}): Model =>
  ModelSchema.parse({
  id,
  name: `Model ${id}`,
  kind: 'local',
  path: `/models/${id}.gguf`,
  remote: null,
  source: 'file',
  sizeBytes: 1,
  sha256: null,
  metadata: null,
  addedAt: '2026-01-01T00:00:00Z',
  status: 'ok',
  loaded: false,
  adapters: [],
  ...over,
  });
const adapter = (id: string, modelId: string, status: 'ok' | 'missing' = 'ok') => ({
  id,
  modelId,
  name: id,
  path: `/a/${id}.gguf`,
  source: 'trained' as const,
  sizeBytes: 1,
  addedAt: '2026-01-01T00:00:00Z',
  status,
});

function memoryStorage() {
  const map = new Map<string, string>();
  return { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v) };
}

describe('ask choices', () => {
  it('are remembered per slot and survive junk in storage', () => {
    const storage = memoryStorage();
    saveChoice('a', { ...DEFAULT_CHOICE, modelId: 'm1', strategy: 'vote' }, storage);
    expect(loadChoice('a', storage)).toMatchObject({ modelId: 'm1', strategy: 'vote' });
    expect(loadChoice('b', storage)).toEqual(DEFAULT_CHOICE);
    storage.setItem('squill.workbench.askChoice.c', '{"strategy":"magic","grammar":7}');
    expect(loadChoice('c', storage)).toMatchObject({ strategy: 'direct', grammar: 'schema' });
    storage.setItem('squill.workbench.askChoice.d', 'not json');
    expect(loadChoice('d', storage)).toEqual(DEFAULT_CHOICE);
  });

  it('fall back to a usable model and drop adapters that are not the model’s', () => {
    const models = [model('gone', { status: 'missing' }), model('m1', { adapters: [adapter('ad1', 'm1'), adapter('ad2', 'm1', 'missing')] }), model('m2')];
    expect(resolveChoice({ ...DEFAULT_CHOICE, modelId: 'gone' }, models).modelId).toBe('m1');
    expect(resolveChoice({ ...DEFAULT_CHOICE, modelId: 'm1', adapterId: 'ad1' }, models).adapterId).toBe('ad1');
    expect(resolveChoice({ ...DEFAULT_CHOICE, modelId: 'm1', adapterId: 'ad2' }, models).adapterId).toBeNull();
    expect(resolveChoice({ ...DEFAULT_CHOICE, modelId: 'm2', adapterId: 'ad1' }, models).adapterId).toBeNull();
    const linked = resolveChoice({ ...DEFAULT_CHOICE, modelId: 'm2', settings: { lrsql: { linkAdapterId: 'ad1' } } }, models);
    expect(linked.settings.lrsql?.linkAdapterId).toBeNull();
    expect(resolveChoice(DEFAULT_CHOICE, []).modelId).toBeNull();
    // unchanged choices keep their identity (no needless re-renders)
    const ok = { ...DEFAULT_CHOICE, modelId: 'm2' };
    expect(resolveChoice(ok, models)).toBe(ok);
  });

  it('send only the settings the strategy reads', () => {
    const settings = { sampling: { temperature: 0.2, seed: undefined }, vote: { samples: 5 }, route: { prune: false }, lrsql: { sliceBudget: undefined } };
    expect(settingsFor('vote', settings)).toEqual({ sampling: settings.sampling, vote: { samples: 5 } });
    expect(settingsFor('route', settings)).toEqual({ sampling: settings.sampling, route: { prune: false } });
    expect(settingsFor('lrsql', settings)).toEqual({ sampling: settings.sampling });
    expect(settingsFor('direct', { sampling: { temperature: undefined } })).toEqual({});
  });

  it('make an ai.ask input, or say what is missing', () => {
    expect(askRequest('db', '  ', '', { ...DEFAULT_CHOICE, modelId: 'm' })).toEqual({ problem: 'Write a question first.' });
    expect(askRequest('db', 'How many?', '', DEFAULT_CHOICE)).toMatchObject({ problem: expect.stringContaining('model') });
    expect(askRequest('db', ' How many? ', ' hint ', { ...DEFAULT_CHOICE, modelId: 'm', grammar: 'none' })).toEqual({
      connectionId: 'db',
      question: 'How many?',
      evidence: 'hint',
      modelId: 'm',
      adapterId: null,
      strategy: 'direct',
      grammar: 'none',
    });
  });

  it('make distinct ask ids', () => {
    expect(newAskId()).not.toBe(newAskId());
  });
});
