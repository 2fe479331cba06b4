import type { AppInfo } from '../../../shared/contract/index.ts';
import { useConnection, useEventHistory, useProcedure } from '../api/hooks.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { formatBytes, formatDuration } from '../lib/format.ts';

const HOSTS: Record<AppInfo['host'], string> = {
  electron: 'Desktop app',
  server: 'squill serve (browser mode)',
  cli: 'Command line',
};

export function engineSummary(engine: AppInfo['engine']): string {
  if (engine.error) return 'Engine unavailable';
  return engine.gpu ? `GPU (${engine.gpu.toUpperCase()})` : `CPU (${engine.cpuMathCores} math cores)`;
}

export function StatusPage() {
  const info = useProcedure('app.info', {}, { staleTime: 30_000 });
  const health = useProcedure('app.health', {}, { refetchInterval: 10_000 });
  const metrics = useEventHistory('app.metrics', 30);
  const { kind } = useConnection();
  const latest = metrics.at(-1);

  return (
    <div className="page">
      <header className="page-header">
        <h1>Status</h1>
        <p className="muted">What Squill runs on, where it keeps its data, and how the backend is doing.</p>
      </header>

      {info.error && <ErrorNotice error={info.error} what="the app information" />}
      {info.data && (
        <div className="grid-2">
          <section className="panel" aria-label="About">
            <h2>
              {info.data.name} {info.data.version}
            </h2>
            <dl className="facts">
              <dt>Running as</dt>
              <dd>{HOSTS[info.data.host]}</dd>
              <dt>Connection</dt>
              <dd>{kind === 'ipc' ? 'Electron IPC' : 'WebSocket'}</dd>
              <dt>Platform</dt>
              <dd>
                {info.data.platform} / {info.data.arch}
              </dd>
              <dt>Data folder</dt>
              <dd className="mono" data-testid="data-dir">
                {info.data.dataDir}
              </dd>
              <dt>App store</dt>
              <dd className="mono">
                {info.data.storePath} (schema v{info.data.storeSchemaVersion})
              </dd>
            </dl>
          </section>
          <section className="panel" aria-label="Inference engine">
            <h2>Inference engine</h2>
            {info.data.engine.error && <div className="notice notice-error">{info.data.engine.error}</div>}
            <dl className="facts">
              <dt>Runs on</dt>
              <dd data-testid="engine">{engineSummary(info.data.engine)}</dd>
              <dt>GPU offloading</dt>
              <dd>{info.data.engine.supportsGpuOffloading ? 'supported' : 'not available'}</dd>
              <dt>VRAM</dt>
              <dd>
                {info.data.engine.vram
                  ? `${formatBytes(info.data.engine.vram.freeBytes)} free of ${formatBytes(info.data.engine.vram.totalBytes)}`
                  : 'none (CPU inference)'}
              </dd>
              <dt>CPU</dt>
              <dd>
                {info.data.cpu.model} · {info.data.cpu.logicalCores} logical cores
              </dd>
              <dt>Memory</dt>
              <dd>
                {formatBytes(info.data.memory.freeBytes)} free of {formatBytes(info.data.memory.totalBytes)}
              </dd>
              <dt>llama.cpp</dt>
              <dd>
                {info.data.engine.llamaCppRelease} ({info.data.engine.buildType} build)
              </dd>
            </dl>
          </section>
          <section className="panel" aria-label="Versions">
            <h2>Versions</h2>
            <dl className="facts">
              {Object.entries(info.data.versions).map(([name, version]) => (
                <div key={name} className="fact-row">
                  <dt>{name}</dt>
                  <dd className="mono">{version}</dd>
                </div>
              ))}
            </dl>
          </section>
          <section className="panel" aria-label="Health">
            <h2>
              Health{' '}
              {health.data && (
                <span className={`badge ${health.data.ok ? 'badge-ok' : 'badge-bad'}`} data-testid="health">
                  {health.data.ok ? 'healthy' : 'degraded'}
                </span>
              )}
            </h2>
            {health.error && <ErrorNotice error={health.error} what="the health checks" />}
            {health.data && (
              <ul className="checks">
                {health.data.checks.map((c) => (
                  <li key={c.name}>
                    <span className={c.ok ? 'ok' : 'bad'}>{c.ok ? '✓' : '✗'}</span> <strong>{c.name}</strong>{' '}
                    <span className="muted">{c.detail}</span>
                  </li>
                ))}
                <li className="muted">Backend up for {formatDuration(health.data.uptimeSec)}</li>
              </ul>
            )}
            <h3>Backend process (live)</h3>
            {latest ? (
              <dl className="facts" data-testid="metrics">
                <dt>Memory (RSS)</dt>
                <dd>{formatBytes(latest.rssBytes)}</dd>
                <dt>JS heap</dt>
                <dd>{formatBytes(latest.heapUsedBytes)}</dd>
                <dt>CPU</dt>
                <dd>{latest.cpuPercent.toFixed(1)} %</dd>
                <dt>Load average</dt>
                <dd>{latest.loadAverage.map((l) => l.toFixed(2)).join(' / ')}</dd>
              </dl>
            ) : (
              <p className="muted">Waiting for the first sample…</p>
            )}
          </section>
        </div>
      )}
      {!info.data && !info.error && <p className="muted">Loading…</p>}
    </div>
  );
}
