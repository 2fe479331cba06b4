import { useSyncExternalStore } from 'react';

/** Pages live in the hash (#/status) so the same build works from file:// (desktop) and from `squill serve`. */
export const ROUTES = [
  { path: 'workbench', label: 'Workbench' },
  { path: 'schema', label: 'Schema' },
  { path: 'evaluate', label: 'Evaluate' },
  { path: 'finetune', label: 'Fine-tune' },
  { path: 'models', label: 'Models' },
  { path: 'databases', label: 'Databases' },
  { path: 'status', label: 'Status' },
] as const;
/** Pages reached by links only, not from the navigation (#/trace/<id>). */
export const HIDDEN_ROUTES = ['trace'] as const;
export type RoutePath = (typeof ROUTES)[number]['path'] | (typeof HIDDEN_ROUTES)[number];
export const DEFAULT_ROUTE: RoutePath = 'databases';

export interface Location {
  page: RoutePath | null;
  /** what follows the page, e.g. ["world_1", "city"] in #/schema/world_1/city */
  rest: string[];
}

function parse(hash: string): Location {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: DEFAULT_ROUTE, rest: [] };
  const page = ROUTES.find((r) => r.path === parts[0])?.path ?? HIDDEN_ROUTES.find((p) => p === parts[0]) ?? null;
  return { page, rest: parts.slice(1) };
}

const subscribe = (onChange: () => void) => {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
};

export function useLocation(): Location {
  const hash = useSyncExternalStore(subscribe, () => location.hash);
  return parse(hash);
}

export const href = (page: RoutePath, ...rest: string[]) =>
  `#/${[page, ...rest].map(encodeURIComponent).join('/')}`;

export function navigate(page: RoutePath, ...rest: string[]): void {
  location.hash = href(page, ...rest);
}
