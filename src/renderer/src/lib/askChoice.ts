/**
 * What an ask is made with: model, adapter, strategy, grammar and the strategy's settings. Kept per choice slot in
 * this browser/window, checked against the models that exist now, and turned into an ai.ask input. Pure apart
 * from the storage passed in.
 */
import { GRAMMARS, STRATEGIES, type Input, type Model, type StrategyName, type StrategySettings } from '../../../shared/contract/index.ts';

export type Grammar = (typeof GRAMMARS)[number];

export interface AskChoice {
  modelId: string | null;
  adapterId: string | null;
  strategy: StrategyName;
  grammar: Grammar;
  /** only what the user set; the backend fills in the strategy's defaults */
  settings: StrategySettings;
}

export const DEFAULT_CHOICE: AskChoice = { modelId: null, adapterId: null, strategy: 'direct', grammar: 'schema', settings: {} };

type KeyValueStore = Pick<Storage, 'getItem' | 'setItem'>;
const key = (slot: string) => `squill.workbench.askChoice.${slot}`;

export function loadChoice(slot: string, storage: KeyValueStore = localStorage): AskChoice {
  try {
    const raw = JSON.parse(storage.getItem(key(slot)) ?? 'null') as Partial<AskChoice> | null;
    if (!raw || typeof raw !== 'object') return DEFAULT_CHOICE;
    return {
      modelId: typeof raw.modelId === 'string' ? raw.modelId : null,
      adapterId: typeof raw.adapterId === 'string' ? raw.adapterId : null,
      strategy: STRATEGIES.includes(raw.strategy as StrategyName) ? (raw.strategy as StrategyName) : 'direct',
      grammar: GRAMMARS.includes(raw.grammar as Grammar) ? (raw.grammar as Grammar) : 'schema',
      settings: raw.settings && typeof raw.settings === 'object' ? raw.settings : {},
    };
  } catch {
    return DEFAULT_CHOICE;
  }
}

export function saveChoice(slot: string, choice: AskChoice, storage: KeyValueStore = localStorage): void {
  try {
    storage.setItem(key(slot), JSON.stringify(choice));
  } catch {
    // a choice that is not remembered is no failure
  }
}

export const usableModels = (models: readonly Model[]) => models.filter((m) => m.status === 'ok');

/** The choice with a model that exists and works (else the first that does) and an adapter of that model (else none). */
export function resolveChoice(choice: AskChoice, models: readonly Model[]): AskChoice {
  const usable = usableModels(models);
  const model = usable.find((m) => m.id === choice.modelId) ?? usable[0] ?? null;
  const adapters = model?.adapters.filter((a) => a.status === 'ok') ?? [];
  const adapterId = adapters.some((a) => a.id === choice.adapterId) ? choice.adapterId : null;
  let settings = choice.settings;
  const link = settings.lrsql?.linkAdapterId;
  if (link && !adapters.some((a) => a.id === link)) settings = { ...settings, lrsql: { ...settings.lrsql, linkAdapterId: null } };
  if (model?.id === choice.modelId && adapterId === choice.adapterId && settings === choice.settings) return choice;
  return { ...choice, modelId: model?.id ?? null, adapterId, settings };
}

const isEmpty = (o: object | undefined) => !o || Object.values(o).every((v) => v === undefined);

/** The settings the strategy reads, without unset fields. */
export function settingsFor(strategy: StrategyName, settings: StrategySettings): StrategySettings {
  const out: StrategySettings = {};
  if (!isEmpty(settings.sampling)) out.sampling = settings.sampling;
  if (strategy === 'route' && !isEmpty(settings.route)) out.route = settings.route;
  if (strategy === 'lrsql' && !isEmpty(settings.lrsql)) out.lrsql = settings.lrsql;
  if (strategy === 'vote' && !isEmpty(settings.vote)) out.vote = settings.vote;
  if (settings.sampleRows !== undefined) out.sampleRows = settings.sampleRows;
  if (settings.schemaBudget !== undefined) out.schemaBudget = settings.schemaBudget;
  return out;
}

export type AskRequest = Omit<Input<'ai.ask'>, 'askId'>;

/** The ai.ask input for a question, or why there is none yet. */
export function askRequest(connectionId: string, question: string, evidence: string, choice: AskChoice): AskRequest | { problem: string } {
  if (question.trim() === '') return { problem: 'Write a question first.' };
  if (!choice.modelId) return { problem: 'Choose a model first (add one on the Models page).' };
  const settings = settingsFor(choice.strategy, choice.settings);
  return {
    connectionId,
    question: question.trim(),
    ...(evidence.trim() ? { evidence: evidence.trim() } : {}),
    modelId: choice.modelId,
    adapterId: choice.adapterId,
    strategy: choice.strategy,
    grammar: choice.grammar,
    ...(Object.keys(settings).length > 0 ? { settings } : {}),
  };
}

/** A short name for a choice, for the compare columns. */
export function choiceLabel(choice: AskChoice, models: readonly Model[]): string {
  const model = models.find((m) => m.id === choice.modelId);
  const adapter = model?.adapters.find((a) => a.id === choice.adapterId);
  return [model?.name ?? 'no model', adapter ? `+ ${adapter.name}` : null, choice.strategy, choice.grammar === 'schema' ? 'grammar' : 'no grammar']
    .filter(Boolean)
    .join(' · ');
}

/** An id for an ask; crypto.randomUUID exists only in secure contexts (not a team server over plain http). */
export function newAskId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
