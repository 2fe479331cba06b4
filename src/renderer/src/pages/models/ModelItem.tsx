import { useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import type { Model } from '../../../../shared/contract/index.ts';
import { useConnection, useProcedure } from '../../api/hooks.ts';
import { formatBytes, formatParams } from '../../lib/format.ts';
import { PathInput } from '../../components/PathInput.tsx';
import { useInvalidateModels } from '../../lib/models.ts';
import { ConfirmRemove } from '../../components/ConfirmRemove.tsx';
import { InlineError } from '../../components/ErrorNotice.tsx';
import { FitSummary } from './parts.tsx';

const STATUS_TITLE = { missing: 'The file is missing.', unreadable: 'The file cannot be used.' } as const;

export function ModelItem({ model: m }: { model: Model }) {
  const ok = m.status === 'ok';
  return (
    <li className={`conn${ok ? '' : ' conn-broken'}`} data-testid={`model-${m.id}`} aria-label={m.name}>
      <div className="conn-head">
        <h3 className="conn-name">{m.name}</h3>
        <span className="badge badge-kind">{m.kind === 'remote' ? 'remote' : m.source}</span>
        <span className={`badge ${ok ? 'badge-ok' : 'badge-bad'}`} data-testid="model-status">
          {m.status}
        </span>
        {m.loaded && (
          <span className="badge badge-demo" data-testid="model-loaded">
            loaded
          </span>
        )}
      </div>
      <div className="mono small muted conn-path" title={m.path ?? m.remote?.baseUrl}>
        {m.path ?? `${m.remote?.baseUrl} · ${m.remote?.model}${m.remote?.hasApiKey ? ' · API key set' : ''}`}
      </div>
      {m.error && (
        <div className="notice notice-error conn-error">
          <strong>{m.status !== 'ok' ? STATUS_TITLE[m.status] : ''}</strong> {m.error}
        </div>
      )}
      {m.kind === 'local' && <ModelFacts model={m} />}
      {m.kind === 'local' && ok && <LoadControls model={m} />}
      {m.kind === 'local' && <Adapters model={m} />}
      <RemoveModel model={m} />
    </li>
  );
}

function ModelFacts({ model: m }: { model: Model }) {
  const md = m.metadata;
  const facts: [string, string, string?][] = [
    ['Architecture', md?.architecture ?? '—'],
    ['Parameters', md ? formatParams(md.parameters) : '—'],
    ['Quantization', md?.quantization ?? '—'],
    ['Context', md?.contextLength ? md.contextLength.toLocaleString('en-US') : '—'],
    ['Layers', md?.layers?.toString() ?? '—'],
    ['Embedding', md?.embeddingLength?.toString() ?? '—'],
    ['Vocabulary', md?.vocabSize ? md.vocabSize.toLocaleString('en-US') : '—'],
    ['Size', m.sizeBytes !== null ? formatBytes(m.sizeBytes) : '—'],
    ['SHA-256', m.sha256 ? m.sha256.slice(0, 12) : 'computing…', m.sha256 ?? undefined],
  ];
  return (
    <dl className="conn-facts" data-testid="model-facts">
      {facts.map(([k, v, title]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd className={k === 'SHA-256' ? 'mono' : undefined} title={title}>
            {v}
          </dd>
        </div>
      ))}
      {md?.chatTemplate === null && (
        <div>
          <dt>Chat template</dt>
          <dd>none in the file</dd>
        </div>
      )}
    </dl>
  );
}

/** GPU layers and context size, with the memory estimate for exactly those settings shown before loading. */
function LoadControls({ model: m }: { model: Model }) {
  const { client } = useConnection();
  const invalidate = useInvalidateModels();
  const [gpu, setGpu] = useState<string>(m.settings?.gpuLayers === undefined ? 'auto' : String(m.settings.gpuLayers));
  const [ctx, setCtx] = useState<string>(m.settings?.contextSize ? String(m.settings.contextSize) : '');
  const gpuLayers = gpu === 'auto' ? ('auto' as const) : Math.max(0, Math.floor(Number(gpu) || 0));
  const contextSize = ctx.trim() ? Math.floor(Number(ctx)) : undefined;
  const validCtx = contextSize === undefined || (Number.isFinite(contextSize) && contextSize >= 256);
  const input = { id: m.id, gpuLayers, ...(contextSize !== undefined && validCtx ? { contextSize } : {}) };
  const fit = useProcedure('models.fit', input, { enabled: validCtx, retry: false });
  const load = useMutation({ mutationFn: () => client.call('models.load', input), onSettled: invalidate });
  const unload = useMutation({ mutationFn: () => client.call('models.unload', { id: m.id }), onSettled: invalidate });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    load.mutate();
  };
  const busy = load.isPending || unload.isPending;
  return (
    <div className="model-load">
      <form className="model-load-form" onSubmit={submit}>
        <label>
          GPU layers{' '}
          <input
            className="input model-num"
            value={gpu}
            onChange={(e) => setGpu(e.target.value)}
            aria-label="GPU layers"
            list="gpu-layer-options"
            size={6}
          />
        </label>
        <datalist id="gpu-layer-options">
          <option value="auto" />
          <option value="0" />
        </datalist>
        <label>
          Context{' '}
          <input
            className="input model-num"
            value={ctx}
            onChange={(e) => setCtx(e.target.value)}
            placeholder="4096"
            inputMode="numeric"
            aria-label="Context size"
            size={8}
          />
        </label>
        <button type="submit" className="primary" disabled={busy || !validCtx}>
          {load.isPending ? 'Loading…' : m.loaded ? 'Reload' : 'Load'}
        </button>
        {m.loaded && (
          <button type="button" onClick={() => unload.mutate()} disabled={busy}>
            {unload.isPending ? 'Unloading…' : 'Unload'}
          </button>
        )}
      </form>
      {!validCtx && <p className="muted small">The context size must be a whole number of at least 256.</p>}
      {fit.data && <FitSummary fit={fit.data} testId="model-fit" />}
      {fit.error && <p className="muted small">No estimate: {fit.error.message}</p>}
      {load.error && <InlineError title={`Could not load ${m.name}.`} message={load.error.message} />}
      {unload.error && <InlineError title={`Could not unload ${m.name}.`} message={unload.error.message} />}
    </div>
  );
}

function Adapters({ model: m }: { model: Model }) {
  const { client } = useConnection();
  const invalidate = useInvalidateModels();
  const [path, setPath] = useState('');
  const attach = useMutation({
    mutationFn: () => client.call('adapters.add', { modelId: m.id, path: path.trim() }),
    onSuccess: () => setPath(''),
    onSettled: invalidate,
  });
  const detach = useMutation({ mutationFn: (id: string) => client.call('adapters.remove', { id }), onSettled: invalidate });
  return (
    <div className="model-adapters">
      <h4>Adapters</h4>
      {m.adapters.length === 0 ? (
        <p className="muted small">No LoRA adapters attached.</p>
      ) : (
        <ul className="adapter-list">
          {m.adapters.map((a) => (
            <li key={a.id} data-testid={`adapter-${a.id}`}>
              <strong>{a.name}</strong> <span className="badge badge-kind">{a.source}</span>{' '}
              {a.status !== 'ok' && <span className="badge badge-bad">missing</span>}{' '}
              <span className="mono small muted">{a.path}</span> <span className="small muted">{formatBytes(a.sizeBytes)}</span>{' '}
              <button type="button" className="danger-quiet" onClick={() => detach.mutate(a.id)} disabled={detach.isPending}>
                Detach
              </button>
            </li>
          ))}
        </ul>
      )}
      {m.status === 'ok' && (
        <form
          className="add-db-form"
          onSubmit={(e) => {
            e.preventDefault();
            attach.mutate();
          }}
        >
          <PathInput className="add-db-path" value={path} onChange={setPath} placeholder="/path/to/adapter.lora.gguf" label={`Adapter file for ${m.name}`} />
          <button type="submit" disabled={!path.trim() || attach.isPending}>
            {attach.isPending ? 'Checking…' : 'Attach adapter'}
          </button>
        </form>
      )}
      {attach.error && <InlineError title="Could not attach the adapter." message={attach.error.message} />}
      {detach.error && <InlineError title="Could not detach the adapter." message={detach.error.message} />}
    </div>
  );
}

function RemoveModel({ model: m }: { model: Model }) {
  const { client } = useConnection();
  const invalidate = useInvalidateModels();
  const [deleteFile, setDeleteFile] = useState(false);
  const remove = useMutation({ mutationFn: () => client.call('models.remove', { id: m.id, deleteFile }), onSettled: invalidate });
  return (
    <ConfirmRemove name={m.name} note={m.source === 'download' ? '' : ' The file is left alone.'} onRemove={() => remove.mutate()} pending={remove.isPending} error={remove.error}>
      {m.source === 'download' && (
        <label className="small">
          <input type="checkbox" checked={deleteFile} onChange={(e) => setDeleteFile(e.target.checked)} /> also delete the downloaded file
        </label>
      )}
    </ConfirmRemove>
  );
}
