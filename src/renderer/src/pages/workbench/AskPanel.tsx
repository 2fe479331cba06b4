import { useEffect, useMemo, useState, type KeyboardEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { Connection, Trace } from '../../../../shared/contract/index.ts';
import { procedureKey, useEvent, useProcedure } from '../../api/hooks.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { AskProgress } from './AskProgress.tsx';
import { askRequest, loadChoice, resolveChoice, saveChoice, usableModels, type AskChoice } from '../../lib/askChoice.ts';
import { ChoiceFields } from './ChoiceFields.tsx';
import { CompareView } from './CompareView.tsx';
import { loadFlag, saveFlag } from './drafts.ts';
import { useAskRuns } from './useAsk.ts';

/** The registered models, kept fresh by the models.changed event. */
function useModels() {
  const queryClient = useQueryClient();
  useEvent('models.changed', (list) => queryClient.setQueryData(procedureKey('models.list'), list));
  return useProcedure('models.list');
}

/** A choice slot remembered in this window, kept valid against the models that exist. */
function useChoice(slot: string) {
  const [choice, setChoice] = useState<AskChoice>(() => loadChoice(slot));
  const change = (next: AskChoice) => {
    setChoice(next);
    saveChoice(slot, next);
  };
  return [choice, change] as const;
}

export interface AskPanelProps {
  connection: Connection;
  question: string;
  evidence: string;
  onQuestionChange: (question: string) => void;
  onEvidenceChange: (evidence: string) => void;
  /** a single ask finished (whatever its status) */
  onAnswer: (trace: Trace) => void;
  onOpenTrace: (trace: Trace) => void;
  compare: boolean;
  onCompareChange: (compare: boolean) => void;
  /** SQL a comparison side sends to the editor */
  onUseSql: (sql: string) => void;
}

/**
 * Ask a question in plain language: model, adapter, strategy, grammar and settings; the steps and tokens stream in
 * while it runs; the answer goes to the editor and its trace opens. In compare mode two choices answer the same
 * question at once, side by side.
 */
export function AskPanel({ connection, question, evidence, onQuestionChange, onEvidenceChange, onAnswer, onOpenTrace, compare, onCompareChange, onUseSql }: AskPanelProps) {
  const models = useModels();
  const strategies = useProcedure('ai.strategies', {}, { staleTime: Infinity });
  const { runs, start, cancel } = useAskRuns();
  const [open, setOpen] = useState(() => loadFlag('askOpen', true));
  const [problem, setProblem] = useState<string | null>(null);
  const [main, setMain] = useChoice('main');
  const [a, setA] = useChoice('a');
  const [b, setB] = useChoice('b');

  const list = useMemo(() => models.data ?? [], [models.data]);
  // the remembered choice may name a model that is gone: fall back to one that exists
  const resolved = useMemo(() => ({ main: resolveChoice(main, list), a: resolveChoice(a, list), b: resolveChoice(b, list) }), [main, a, b, list]);
  const noModel = models.isSuccess && usableModels(list).length === 0;

  const running = compare ? runs.a?.status === 'running' || runs.b?.status === 'running' : runs.main?.status === 'running';
  useEffect(() => setProblem(null), [question, compare]);

  const ask = async () => {
    if (running) return;
    if (compare) {
      const ra = askRequest(connection.id, question, evidence, resolved.a);
      const rb = askRequest(connection.id, question, evidence, resolved.b);
      const bad = 'problem' in ra ? ra : 'problem' in rb ? rb : null;
      if (bad) return setProblem(bad.problem);
      if ('problem' in ra || 'problem' in rb) return;
      setProblem(null);
      // concurrently: the backend decides whether the two share the model or queue
      void start('a', ra);
      void start('b', rb);
      return;
    }
    const request = askRequest(connection.id, question, evidence, resolved.main);
    if ('problem' in request) return setProblem(request.problem);
    setProblem(null);
    const trace = await start('main', request);
    if (trace) onAnswer(trace);
  };

  const onQuestionKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void ask();
    } else if (e.key === 'Escape' && running) {
      e.preventDefault();
      if (compare) {
        void cancel('a');
        void cancel('b');
      } else void cancel('main');
    }
  };
  const toggleOpen = () => {
    setOpen(!open);
    saveFlag('askOpen', !open);
  };

  return (
    <section className={`ask-panel${compare ? ' ask-compare' : ''}`} aria-label="Ask a question">
      <div className="ask-head">
        <button type="button" className="ask-toggle" aria-expanded={open} onClick={toggleOpen} title={open ? 'Hide the question form' : 'Show the question form'}>
          <span aria-hidden>{open ? '▾' : '▸'}</span> Ask AI
        </button>
        {!open && question && <span className="ask-summary small muted">{question}</span>}
        <span className="toolbar-spacer" />
        {open && (
          <label className="small ask-compare-toggle" title="Ask with two choices at once and compare their answers">
            <input type="checkbox" checked={compare} onChange={(e) => onCompareChange(e.target.checked)} /> Compare two
          </label>
        )}
      </div>
      {open && (
        <div className="ask-form">
          <div className="ask-question-row">
            <textarea
              className="input ask-question"
              aria-label="Question"
              rows={2}
              placeholder={`Ask about ${connection.name} in plain language… (Enter asks, Shift+Enter starts a new line)`}
              value={question}
              onChange={(e) => onQuestionChange(e.target.value)}
              onKeyDown={onQuestionKey}
            />
            <div className="ask-buttons">
              <button type="button" className="primary" onClick={() => void ask()} disabled={running || noModel} title="Ask (Enter in the question)">
                Ask
              </button>
              {running && (
                <button
                  type="button"
                  onClick={() => {
                    if (compare) {
                      void cancel('a');
                      void cancel('b');
                    } else void cancel('main');
                  }}
                  title="Stop (Escape in the question)"
                >
                  Cancel
                </button>
              )}
            </div>
          </div>
          <input
            className="input ask-evidence"
            aria-label="Hint (evidence)"
            placeholder="Optional hint for the model, e.g. “French singers means Country = 'France'”"
            value={evidence}
            onChange={(e) => onEvidenceChange(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                void ask();
              }
            }}
          />
          {models.error && <ErrorNotice error={models.error} what="the models" />}
          {strategies.error && <ErrorNotice error={strategies.error} what="the strategies" />}
          {noModel && (
            <div className="notice notice-warn" role="status">
              {list.length === 0 ? 'No model yet.' : 'No model can be used: every registered one is missing or unreadable.'}{' '}
              <a href="#/models">Add one on the Models page</a>.
            </div>
          )}
          {compare ? (
            <div className="ask-choices-compare">
              <ChoiceFields label="A" choice={resolved.a} models={list} strategies={strategies.data} onChange={setA} />
              <ChoiceFields label="B" choice={resolved.b} models={list} strategies={strategies.data} onChange={setB} />
            </div>
          ) : (
            <ChoiceFields choice={resolved.main} models={list} strategies={strategies.data} onChange={setMain} />
          )}
          {problem && (
            <p className="small bad" role="alert">
              {problem}
            </p>
          )}
        </div>
      )}
      {!compare && runs.main && <AskProgress run={runs.main} onCancel={() => void cancel('main')} onOpenTrace={runs.main.trace ? () => onOpenTrace(runs.main!.trace!) : undefined} />}
      {compare && (
        <CompareView connectionId={connection.id} choices={resolved} models={list} runs={runs} onCancel={(slot) => void cancel(slot)} onUseSql={onUseSql} />
      )}
    </section>
  );
}
