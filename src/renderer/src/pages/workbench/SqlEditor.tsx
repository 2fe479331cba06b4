import { useEffect, useImperativeHandle, useRef, useState, useSyncExternalStore, type Ref } from 'react';
import Editor from '@monaco-editor/react';
import { monaco } from './monaco.ts';
import { loadDraft, saveDraft } from './drafts.ts';
import { formatSql, registerSqlLanguage, setCompletionSchema } from './sqlLanguage.ts';
import type { SchemaRelation } from './sqlCompletion.ts';
import { SHORTCUTS } from './shortcuts.ts';

/** SQL to run and where it starts in the editor (so error offsets from the backend map back to the text). */
export interface RunnableSql {
  sql: string;
  offset: number;
}

/** A position in the editor that something points at: an error, a refused statement. */
export interface EditorProblem {
  offset: number;
  message: string;
}

export interface SqlEditorHandle {
  /** the selection when there is one (unless `whole`), else the whole text */
  runnable(whole?: boolean): RunnableSql;
  /** the whole text */
  text(): string;
  /** replaces the text as one undoable edit */
  replaceText(sql: string): void;
  /** formats the text (or the selection); returns why not when sql-formatter cannot read it */
  format(): string | null;
  /** moves the cursor to an offset and shows it */
  revealOffset(offset: number): void;
}

interface SqlEditorProps {
  connectionId: string;
  relations: SchemaRelation[];
  problem: EditorProblem | null;
  onRun: (whole: boolean) => void;
  onExplain: () => void;
  onFormat: () => void;
  onSelectionChange: (hasSelection: boolean) => void;
  onReady: () => void;
  ref: Ref<SqlEditorHandle>;
}

const MARKER_OWNER = 'squill';
const DRAFT_SAVE_DELAY_MS = 300;

const subscribeTheme = (onChange: () => void) => {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  return () => observer.disconnect();
};
/** Monaco's theme for the app's current one (App sets <html data-theme>). */
const useMonacoTheme = () =>
  useSyncExternalStore(subscribeTheme, () => (document.documentElement.dataset.theme === 'dark' ? 'vs-dark' : 'vs'));

/** The range a problem at `offset` underlines: the word there, else one character. */
function problemRange(model: monaco.editor.ITextModel, offset: number): monaco.IRange {
  const length = model.getValueLength();
  const start = model.getPositionAt(Math.min(offset, Math.max(0, length - 1)));
  const word = model.getWordAtPosition(start);
  if (word) return new monaco.Range(start.lineNumber, word.startColumn, start.lineNumber, word.endColumn);
  const end = model.getPositionAt(Math.min(offset + 1, length));
  return monaco.Range.fromPositions(start, end.equals(start) ? { lineNumber: start.lineNumber, column: start.column + 1 } : end);
}

/**
 * Monaco with SQL highlighting, schema-aware completion, run/explain/format shortcuts and problem markers. The text
 * is the database's draft, saved as it changes, so it survives page switches and reloads.
 */
export function SqlEditor({ connectionId, relations, problem, onRun, onExplain, onFormat, onSelectionChange, onReady, ref }: SqlEditorProps) {
  const theme = useMonacoTheme();
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  // Monaco's commands are registered once; they call the latest props through this.
  const handlers = useRef({ onRun, onExplain, onFormat, onSelectionChange });
  handlers.current = { onRun, onExplain, onFormat, onSelectionChange };
  const [initialText] = useState(() => loadDraft(connectionId));

  const model = () => editorRef.current?.getModel() ?? null;

  useImperativeHandle(ref, () => ({
    runnable(whole = false) {
      const editor = editorRef.current!;
      const m = editor.getModel()!;
      const selection = editor.getSelection();
      if (!whole && selection && !selection.isEmpty()) {
        return { sql: m.getValueInRange(selection), offset: m.getOffsetAt(selection.getStartPosition()) };
      }
      return { sql: m.getValue(), offset: 0 };
    },
    text: () => editorRef.current?.getValue() ?? '',
    replaceText(sql) {
      const editor = editorRef.current!;
      editor.pushUndoStop();
      editor.executeEdits('squill', [{ range: editor.getModel()!.getFullModelRange(), text: sql }]);
      editor.pushUndoStop();
      editor.setPosition({ lineNumber: 1, column: 1 });
      editor.focus();
    },
    format() {
      const editor = editorRef.current!;
      const m = editor.getModel()!;
      const selection = editor.getSelection();
      const range = selection && !selection.isEmpty() ? selection : m.getFullModelRange();
      let formatted: string;
      try {
        formatted = formatSql(m.getValueInRange(range));
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
      editor.pushUndoStop();
      editor.executeEdits('squill-format', [{ range, text: formatted }]);
      editor.pushUndoStop();
      return null;
    },
    revealOffset(offset) {
      const editor = editorRef.current!;
      const position = editor.getModel()!.getPositionAt(offset);
      editor.setPosition(position);
      editor.revealPositionInCenterIfOutsideViewport(position);
      editor.focus();
    },
  }));

  // Completion follows this database's schema.
  useEffect(() => {
    const m = model();
    if (m) setCompletionSchema(m, relations);
  });

  // The problem of the last run, as a marker (red squiggle, hover message, F8 to jump to it).
  useEffect(() => {
    const m = model();
    if (!m) return;
    monaco.editor.setModelMarkers(
      m,
      MARKER_OWNER,
      problem ? [{ ...problemRange(m, problem.offset), message: problem.message, severity: monaco.MarkerSeverity.Error, source: 'SQLite' }] : [],
    );
  }, [problem]);

  // Save the draft a moment after typing stops, and at once when leaving the page.
  const pendingSave = useRef<ReturnType<typeof setTimeout> | null>(null);
  const unsavedText = useRef<string | null>(null);
  const flushDraft = () => {
    if (pendingSave.current !== null) clearTimeout(pendingSave.current);
    pendingSave.current = null;
    if (unsavedText.current !== null) saveDraft(connectionId, unsavedText.current);
    unsavedText.current = null;
  };
  useEffect(() => flushDraft, []);

  const handleMount = (editor: monaco.editor.IStandaloneCodeEditor) => {
    editorRef.current = editor;
    registerSqlLanguage();
    setCompletionSchema(editor.getModel()!, relations);
    const { KeyMod, KeyCode } = monaco;
    editor.addAction({
      id: 'squill.run',
      label: 'Run (the selection, else everything)',
      keybindings: [KeyMod.CtrlCmd | KeyCode.Enter],
      run: () => {
        // a completion list left open over the results would hide them
        editor.trigger('squill', 'hideSuggestWidget', null);
        handlers.current.onRun(false);
      },
    });
    editor.addAction({
      id: 'squill.explain',
      label: 'Explain query plan',
      keybindings: [KeyMod.CtrlCmd | KeyMod.Shift | KeyCode.KeyE],
      run: () => handlers.current.onExplain(),
    });
    editor.addAction({
      id: 'squill.format',
      label: 'Format SQL',
      keybindings: [KeyMod.Shift | KeyMod.Alt | KeyCode.KeyF],
      run: () => handlers.current.onFormat(),
    });
    editor.onDidChangeCursorSelection((e) => handlers.current.onSelectionChange(!e.selection.isEmpty()));
    // An edit makes the last run's marker point at the wrong place: drop it.
    editor.onDidChangeModelContent(() => monaco.editor.setModelMarkers(editor.getModel()!, MARKER_OWNER, []));
    editor.focus();
    onReady();
  };

  const handleChange = (text: string | undefined) => {
    unsavedText.current = text ?? '';
    if (pendingSave.current !== null) clearTimeout(pendingSave.current);
    pendingSave.current = setTimeout(flushDraft, DRAFT_SAVE_DELAY_MS);
  };

  return (
    <div className="sql-editor" data-testid="sql-editor">
      <Editor
        path={`file:///squill/${encodeURIComponent(connectionId)}.sql`}
        defaultLanguage="sql"
        defaultValue={initialText}
        theme={theme}
        onMount={handleMount}
        onChange={handleChange}
        loading={<div className="muted small sql-editor-loading">Loading the editor…</div>}
        options={{
          automaticLayout: true,
          fixedOverflowWidgets: true,
          fontFamily: "ui-monospace, 'SF Mono', Menlo, Consolas, 'DejaVu Sans Mono', monospace",
          fontSize: 13,
          minimap: { enabled: false },
          placeholder: `Write SQL here. ${SHORTCUTS.run} runs it (the selection if there is one), ${SHORTCUTS.complete} completes.`,
          quickSuggestions: { other: true, comments: false, strings: false },
          renderLineHighlight: 'line',
          scrollBeyondLastLine: false,
          suggest: { showWords: false },
          tabSize: 2,
          wordWrap: 'on',
          wordBasedSuggestions: 'off',
        }}
      />
    </div>
  );
}
