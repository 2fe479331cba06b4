import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { Download } from '../../../shared/contract/index.ts';
import { procedureKey, useEvent, useProcedure } from '../api/hooks.ts';

/** The model list, kept current by models.changed (from this tab, other tabs and background hashing). */
export function useModels() {
  const queryClient = useQueryClient();
  useEvent('models.changed', (list) => queryClient.setQueryData(procedureKey('models.list'), list));
  return useProcedure('models.list');
}

export function useInvalidateModels() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: procedureKey('models.list') });
}

/** This session's downloads: the list once, then each models.download event replaces its entry. */
export function useDownloads(): Download[] {
  const initial = useProcedure('models.downloads');
  const [live, setLive] = useState<Map<string, Download>>(new Map());
  useEvent('models.download', (d) => setLive((prev) => new Map(prev).set(d.id, d)));
  const merged = new Map<string, Download>();
  for (const d of initial.data ?? []) merged.set(d.id, d);
  for (const [id, d] of live) merged.set(id, d);
  return [...merged.values()].sort((a, b) => (a.id < b.id ? 1 : -1));
}

