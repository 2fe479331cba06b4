/**
 * Monaco's side of the SQL language: the schema-aware completion provider (logic in sqlCompletion.ts) and the
 * formatter (sql-formatter, SQLite dialect) behind Monaco's own "Format Document" (Shift+Alt+F) and our button.
 * Registered once for the 'sql' language; each editor model says which database schema it completes against.
 */
import { formatDialect, sqlite } from 'sql-formatter';
import { monaco } from './monaco.ts';
import { suggest, type SchemaRelation, type SuggestionKind } from './sqlCompletion.ts';

const schemaByModel = new Map<string, SchemaRelation[]>();

/** Sets the tables and views the editor model completes against (its database's schema). */
export function setCompletionSchema(model: monaco.editor.ITextModel, relations: SchemaRelation[]): void {
  const key = model.uri.toString();
  if (!schemaByModel.has(key)) model.onWillDispose(() => schemaByModel.delete(key));
  schemaByModel.set(key, relations);
}

const ITEM_KIND: Record<SuggestionKind, monaco.languages.CompletionItemKind> = {
  column: monaco.languages.CompletionItemKind.Field,
  table: monaco.languages.CompletionItemKind.Class,
  view: monaco.languages.CompletionItemKind.Interface,
  cte: monaco.languages.CompletionItemKind.Struct,
  alias: monaco.languages.CompletionItemKind.Variable,
  function: monaco.languages.CompletionItemKind.Function,
  keyword: monaco.languages.CompletionItemKind.Keyword,
};

/**
 * SQL formatted the way the workbench writes it: SQLite dialect, upper-case keywords, two-space indent.
 * formatDialect with the dialect object (rather than format with language: 'sqlite') leaves the other 20 dialects
 * out of the bundle.
 */
export const formatSql = (sql: string) => formatDialect(sql, { dialect: sqlite, keywordCase: 'upper', tabWidth: 2 });

let registered = false;

export function registerSqlLanguage(): void {
  if (registered) return;
  registered = true;

  monaco.languages.registerCompletionItemProvider('sql', {
    triggerCharacters: ['.'],
    provideCompletionItems(model, position) {
      const word = model.getWordUntilPosition(position);
      const range = new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn);
      const items = suggest(model.getValue(), model.getOffsetAt(position), schemaByModel.get(model.uri.toString()) ?? []);
      return {
        suggestions: items.map((s) => ({
          label: { label: s.label, description: s.detail },
          kind: ITEM_KIND[s.kind],
          insertText: s.insertText,
          insertTextRules: s.snippet ? monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet : undefined,
          sortText: s.sortText,
          range,
        })),
      };
    },
  });

  monaco.languages.registerDocumentFormattingEditProvider('sql', {
    provideDocumentFormattingEdits(model) {
      // a text sql-formatter cannot parse is left as it is (the Format button reports why)
      try {
        return [{ range: model.getFullModelRange(), text: formatSql(model.getValue()) }];
      } catch {
        return [];
      }
    },
  });
}
