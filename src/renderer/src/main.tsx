import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { SquillError } from '../../shared/errors.ts';
import { connect } from './api/client.ts';
import { ConnectionContext } from './api/hooks.ts';
import { App } from './app/App.tsx';
import { ErrorBoundary } from './app/ErrorBoundary.tsx';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Bad input and missing things do not get better by asking again; a dropped connection may.
      retry: (count, error) =>
        count < 3 && (!(error instanceof SquillError) || error.code === 'UNAVAILABLE' || error.code === 'TIMEOUT'),
      refetchOnWindowFocus: false,
    },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ErrorBoundary>
      <ConnectionContext.Provider value={connect()}>
        <QueryClientProvider client={queryClient}>
          <App />
        </QueryClientProvider>
      </ConnectionContext.Provider>
    </ErrorBoundary>
  </StrictMode>,
);
