import { useMutation, useQueryClient } from '@tanstack/react-query';
import { THEMES, type Settings } from '../../../shared/contract/index.ts';
import { procedureKey, useConnection, useConnectionStatus, useProcedure } from '../api/hooks.ts';
import { DatabasesPage } from '../pages/DatabasesPage.tsx';
import { EvaluatePage } from '../pages/evaluate/EvaluatePage.tsx';
import { FinetunePage } from '../pages/finetune/index.ts';
import { ModelsPage } from '../pages/models/ModelsPage.tsx';
import { SchemaPage } from '../pages/schema/SchemaPage.tsx';
import { TracePage } from '../pages/trace/index.ts';
import { WorkbenchPage } from '../pages/workbench/WorkbenchPage.tsx';
import { StatusPage, engineSummary } from '../pages/StatusPage.tsx';
import { ErrorBoundary } from './ErrorBoundary.tsx';
import { ROUTES, href, useLocation } from './router.ts';
import { useAppliedTheme } from './theme.ts';

export function App() {
  const location = useLocation();
  const theme = useAppliedTheme();
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">Squill</div>
        {ROUTES.map((r) => (
          <a key={r.path} href={href(r.path)} className="nav-link" aria-current={location.page === r.path ? 'page' : undefined}>
            {r.label}
          </a>
        ))}
        <div className="sidebar-foot">
          <ThemePicker value={theme} />
        </div>
      </nav>
      <main className="content">
        <ErrorBoundary resetKey={location.page ?? ''}>
          {location.page === 'workbench' && <WorkbenchPage rest={location.rest} />}
          {location.page === 'schema' && <SchemaPage rest={location.rest} />}
          {location.page === 'evaluate' && <EvaluatePage rest={location.rest} />}
          {location.page === 'finetune' && <FinetunePage rest={location.rest} />}
          {location.page === 'trace' && <TracePage rest={location.rest} />}
          {location.page === 'models' && <ModelsPage />}
          {location.page === 'databases' && <DatabasesPage />}
          {location.page === 'status' && <StatusPage />}
          {location.page === null && (
            <div className="page">
              <h1>Page not found</h1>
              <p>
                There is no page at this address. <a href={href('databases')}>Go to Databases</a>
              </p>
            </div>
          )}
        </ErrorBoundary>
      </main>
      <StatusBar />
    </div>
  );
}

function ThemePicker({ value }: { value: Settings['theme'] }) {
  const { client } = useConnection();
  const queryClient = useQueryClient();
  // The answer updates this window at once; the settings.changed event updates the other windows and tabs.
  const update = useMutation({
    mutationFn: (theme: Settings['theme']) => client.call('settings.update', { theme }),
    onSuccess: (settings) => queryClient.setQueryData(procedureKey('settings.get'), settings),
  });
  return (
    <label className="theme-picker">
      Theme{' '}
      <select value={value} onChange={(e) => update.mutate(e.target.value as Settings['theme'])} aria-label="Theme">
        {THEMES.map((t) => (
          <option key={t} value={t}>
            {t[0]!.toUpperCase() + t.slice(1)}
          </option>
        ))}
      </select>
    </label>
  );
}

const STATUS_TEXT = { connecting: 'Connecting…', open: 'Connected', reconnecting: 'Reconnecting…', closed: 'Disconnected' };

/** Always visible: is the backend reachable, and what does inference run on. */
function StatusBar() {
  const status = useConnectionStatus();
  const info = useProcedure('app.info', {}, { staleTime: 30_000 });
  return (
    <footer className="statusbar" data-testid="statusbar">
      <span className={`dot dot-${status}`} aria-hidden />
      <span>{STATUS_TEXT[status]}</span>
      {info.data && (
        <>
          <span className="sep">·</span>
          <span>Engine: {engineSummary(info.data.engine)}</span>
          <span className="sep">·</span>
          <span>Squill {info.data.version}</span>
        </>
      )}
      <a className="statusbar-link" href={href('status')}>
        Details
      </a>
    </footer>
  );
}
