import { useEffect } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Correction } from '../../../../shared/contract/index.ts';
import type { SquillError } from '../../../../shared/errors.ts';
import { useConnection } from '../../api/hooks.ts';

/** The question the editor's SQL answers, and the trace it came from, when there is one. */
export interface CorrectionSource {
  question: string;
  evidence: string;
  traceId: string | null;
}

/**
 * Saves the question with the editor's SQL as a training example (the corrections dataset). The backend runs the
 * SQL first and refuses SQL that does not run; its reason shows here.
 */
export function SaveCorrection({ connectionId, source, sql, disabled }: { connectionId: string; source: CorrectionSource | null; sql: () => string; disabled: boolean }) {
  const { client } = useConnection();
  const queryClient = useQueryClient();
  const save = useMutation<Correction, SquillError, { question: string; evidence: string; sql: string; traceId: string | null }>({
    mutationFn: (c) =>
      client.call('corrections.add', {
        connectionId,
        question: c.question,
        sql: c.sql,
        ...(c.evidence ? { evidence: c.evidence } : {}),
        ...(c.traceId ? { traceId: c.traceId } : {}),
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['corrections.list'] }),
  });
  // a new question makes the last outcome stale
  const question = source?.question.trim() ?? '';
  const { reset } = save;
  useEffect(() => reset(), [question, reset]);

  const ready = question !== '';
  return (
    <span className="save-correction">
      <button
        type="button"
        disabled={disabled || !ready || save.isPending}
        onClick={() => {
          const text = sql().trim();
          if (text && source) save.mutate({ question, evidence: source.evidence.trim(), sql: text, traceId: source.traceId });
        }}
        title={ready ? `Save “${question}” with the SQL in the editor as a training example` : 'Ask a question first: a training example pairs a question with its SQL'}
      >
        {save.isPending ? 'Saving…' : 'Save as training example'}
      </button>
      {save.isSuccess && (
        <span className="ok small" role="status">
          Saved as training example #{save.data.id}.
        </span>
      )}
      {save.error && (
        <span className="bad small" role="alert">
          Not saved: {save.error.message}
        </span>
      )}
    </span>
  );
}
