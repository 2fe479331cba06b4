import { useEffect, useSyncExternalStore } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { Settings } from '../../../shared/contract/index.ts';
import { procedureKey, useEvent, useProcedure } from '../api/hooks.ts';

const media = () => window.matchMedia('(prefers-color-scheme: dark)');
const subscribeSystem = (onChange: () => void) => {
  const m = media();
  m.addEventListener('change', onChange);
  return () => m.removeEventListener('change', onChange);
};

/** Applies the theme preference (kept in the app store, shared by every window and tab) to <html data-theme>. */
export function useAppliedTheme(): Settings['theme'] {
  const queryClient = useQueryClient();
  const settings = useProcedure('settings.get');
  useEvent('settings.changed', (s) => queryClient.setQueryData(procedureKey('settings.get'), s));
  const systemDark = useSyncExternalStore(subscribeSystem, () => media().matches);
  const preference = settings.data?.theme ?? 'system';
  const resolved = preference === 'system' ? (systemDark ? 'dark' : 'light') : preference;
  useEffect(() => {
    document.documentElement.dataset.theme = resolved;
  }, [resolved]);
  return preference;
}
