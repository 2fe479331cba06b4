import { useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useConnection, useProcedure } from '../../api/hooks.ts';
import { ErrorNotice, InlineError } from '../../components/ErrorNotice.tsx';
import { formatBytes } from '../../lib/format.ts';
import { PathInput } from '../../components/PathInput.tsx';
import { useDownloads, useInvalidateModels, useModels } from '../../lib/models.ts';
import { ModelItem } from './ModelItem.tsx';
import { FitSummary, ProgressBar } from './parts.tsx';

/** The model manager: local GGUF models and remote endpoints, loading, adapters, downloads. */
export function ModelsPage() {
  const list = useModels();
  return (
    <div className="page">
      <header className="page-header">
        <h1>Models</h1>
        <p className="muted">
          The language models Squill writes SQL with: GGUF files on this machine (run by llama.cpp in Squill's own process)
          and OpenAI-compatible endpoints. Fine-tuned LoRA adapters attach to the model they were trained on.
        </p>
      </header>
      <div className="models-add">
        <AddModelPanel />
        <AddRemotePanel />
      </div>
      <DownloadPanel />
      {list.error && <ErrorNotice error={list.error} what="the models" />}
      {list.isLoading && <p className="muted">Loading models…</p>}
      {list.data && (
        <section aria-label="Registered models">
          <div className="section-head">
            <h2>
              {list.data.length} {list.data.length === 1 ? 'model' : 'models'}
            </h2>
            <button type="button" onClick={() => list.refetch()} disabled={list.isFetching}>
              {list.isFetching ? 'Checking…' : 'Check again'}
            </button>
          </div>
          {list.data.length === 0 ? (
            <p className="muted">No models yet: add a GGUF file, download one of the recommended models below, or add an endpoint.</p>
          ) : (
            <ul className="conn-list">
              {list.data.map((m) => (
                <ModelItem key={m.id} model={m} />
              ))}
            </ul>
          )}
        </section>
      )}
      <Recommended />
    </div>
  );
}

function AddModelPanel() {
  const { client } = useConnection();
  const invalidate = useInvalidateModels();
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const add = useMutation({
    mutationFn: () => client.call('models.add', { path: path.trim(), ...(name.trim() ? { name: name.trim() } : {}) }),
    onSuccess: () => {
      setPath('');
      setName('');
    },
    onSettled: invalidate,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  return (
    <section className="panel" aria-label="Add a model">
      <h2>Add a model</h2>
      <p className="muted small">The path of a GGUF file on the machine that runs Squill. The file is read where it is, not copied.</p>
      <form className="add-db-form" onSubmit={submit}>
        <PathInput className="add-db-path" value={path} onChange={setPath} placeholder="/path/to/model.gguf" label="Model file path" />
        <input className="input add-db-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Name (optional)" aria-label="Model name (optional)" />
        <button type="submit" className="primary" disabled={!path.trim() || add.isPending}>
          {add.isPending ? 'Reading…' : 'Add model'}
        </button>
      </form>
      {add.error && <InlineError title="Could not add the model." message={add.error.message} />}
      {add.data && (
        <p className="notice notice-ok" role="status">
          Added <strong>{add.data.name}</strong>.
        </p>
      )}
    </section>
  );
}

function AddRemotePanel() {
  const { client } = useConnection();
  const invalidate = useInvalidateModels();
  const [form, setForm] = useState({ name: '', baseUrl: '', model: '', apiKey: '' });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const add = useMutation({
    mutationFn: () =>
      client.call('models.addRemote', {
        name: form.name.trim(),
        baseUrl: form.baseUrl.trim(),
        model: form.model.trim(),
        ...(form.apiKey ? { apiKey: form.apiKey } : {}),
      }),
    onSuccess: () => setForm({ name: '', baseUrl: '', model: '', apiKey: '' }),
    onSettled: invalidate,
  });
  const ready = form.name.trim() && form.baseUrl.trim() && form.model.trim();
  return (
    <section className="panel" aria-label="Add a remote endpoint">
      <h2>Add a remote endpoint</h2>
      <p className="muted small">An OpenAI-compatible API: llama-server, vLLM, Ollama. The key is stored and never shown again.</p>
      <form
        className="remote-form"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate();
        }}
      >
        <input className="input" value={form.name} onChange={set('name')} placeholder="Name" aria-label="Endpoint name" />
        <input className="input mono" value={form.baseUrl} onChange={set('baseUrl')} placeholder="http://127.0.0.1:8080/v1" aria-label="Base URL" spellCheck={false} />
        <input className="input mono" value={form.model} onChange={set('model')} placeholder="model name" aria-label="Model name at the endpoint" spellCheck={false} />
        <input className="input mono" type="password" value={form.apiKey} onChange={set('apiKey')} placeholder="API key (optional)" aria-label="API key" autoComplete="off" />
        <button type="submit" disabled={!ready || add.isPending}>
          {add.isPending ? 'Adding…' : 'Add endpoint'}
        </button>
      </form>
      {add.error && <InlineError title="Could not add the endpoint." message={add.error.message} />}
    </section>
  );
}

function DownloadPanel() {
  const { client } = useConnection();
  const downloads = useDownloads();
  const [uri, setUri] = useState('');
  const start = useMutation({ mutationFn: (u: string) => client.call('models.download', { uri: u }), onSuccess: () => setUri('') });
  const cancel = useMutation({ mutationFn: (id: string) => client.call('models.cancelDownload', { id }) });
  return (
    <section className="panel" aria-label="Download a model">
      <h2>Download a model</h2>
      <p className="muted small">
        A Hugging Face URI (<span className="mono">hf:user/repo:Q4_K_M</span>) or the URL of a .gguf file. Files go to the
        data folder; a cancelled download resumes where it stopped.
      </p>
      <form
        className="add-db-form"
        onSubmit={(e) => {
          e.preventDefault();
          start.mutate(uri.trim());
        }}
      >
        <PathInput className="add-db-path" value={uri} onChange={setUri} placeholder="hf:bartowski/Qwen2.5-Coder-1.5B-Instruct-GGUF:Q4_K_M" label="Model URI or URL" />
        <button type="submit" className="primary" disabled={!uri.trim() || start.isPending}>
          Download
        </button>
      </form>
      {start.error && <InlineError title="Could not start the download." message={start.error.message} />}
      {downloads.length > 0 && (
        <ul className="download-list">
          {downloads.map((d) => (
            <li key={d.id} data-testid={`download-${d.id}`}>
              <div className="download-head">
                <strong>{d.name}</strong> <span className="badge badge-kind">{d.status}</span>
                {d.status === 'downloading' && (
                  <button type="button" className="danger-quiet" onClick={() => cancel.mutate(d.id)}>
                    Cancel
                  </button>
                )}
              </div>
              <div className="mono small muted">{d.uri}</div>
              <ProgressBar done={d.downloadedBytes} total={d.totalBytes} state={d.status} />
              {d.error && <InlineError title="Download failed." message={d.error} />}
            </li>
          ))}
        </ul>
      )}
      {cancel.error && <InlineError title="Could not cancel." message={cancel.error.message} />}
    </section>
  );
}

function Recommended() {
  const { client } = useConnection();
  const recommended = useProcedure('models.recommended', {}, { staleTime: 60_000 });
  const start = useMutation({ mutationFn: (uri: string) => client.call('models.download', { uri }) });
  return (
    <section className="recommended" aria-label="Recommended models">
      <h2>Recommended for text-to-SQL</h2>
      <p className="muted small">Sizes are approximate; the fit is estimated from the parameter count for a 4k context.</p>
      {recommended.error && <ErrorNotice error={recommended.error} what="the recommendations" />}
      <ul className="conn-list">
        {recommended.data?.map((r) => (
          <li key={r.uri} className="conn">
            <div className="conn-head">
              <h3 className="conn-name">{r.name}</h3>
              <span className="badge badge-kind">{r.parameters}</span>
              <span className="small muted">{formatBytes(r.sizeBytes)}</span>
              <span className="conn-links">
                <button type="button" onClick={() => start.mutate(r.uri)} disabled={start.isPending}>
                  Download
                </button>
              </span>
            </div>
            <div className="mono small muted">{r.uri}</div>
            <p className="small">{r.description}</p>
            {r.fit && <FitSummary fit={r.fit} />}
          </li>
        ))}
      </ul>
      {start.error && <InlineError title="Could not start the download." message={start.error.message} />}
    </section>
  );
}
