/** Jobs, per-step metrics, dev evaluations and checkpoints in the app store. */
import crypto from 'node:crypto';
import type { TrainCheckpoint, TrainEval, TrainJob, TrainMetric } from '../../../shared/contract/index.ts';
import { SquillError } from '../../../shared/errors.ts';
import type { Store } from '../../store/index.ts';
import type { MethodRegistry, TrainConfig } from '../methods/index.ts';

type State = TrainJob['state'];
interface JobRow {
  id: string; name: string; method: string; config: string; state: State; reason: string | null; created_at: string;
  started_at: string | null; finished_at: string | null; step: number; total_steps: number; result: string;
}
export interface JobResult {
  adapters?: TrainJob['adapters'];
  modelId?: string | null;
}

const now = () => new Date().toISOString();

/**
 * The config column holds the config without its method (the row's method column says it), as it always has; a row
 * is read through the method registry, which fills what the config leaves to the method (the dev strategy).
 */
export function createJobStore(store: Store, methods: MethodRegistry) {
  const configOf = (r: JobRow): TrainJob['config'] => {
    const raw = JSON.parse(r.config) as TrainJob['config'];
    try {
      return methods.parseConfig(r.method, raw);
    } catch {
      return raw; // a method this build does not know: listed as stored; running it fails with the reason
    }
  };
  const db = store.db;
  const toJob = (r: JobRow): TrainJob => {
    const result = JSON.parse(r.result) as JobResult;
    const evals = listEvals(r.id);
    const before = evals.find((e) => e.step === 0);
    const best = bestEval(r.id);
    const last = evals.filter((e) => e.step > 0).at(-1);
    const done = r.state === 'done';
    return {
      id: r.id,
      name: r.name,
      method: r.method,
      config: configOf(r),
      state: r.state,
      reason: r.reason,
      createdAt: r.created_at,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      step: r.step,
      totalSteps: r.total_steps,
      adapters: result.adapters ?? [],
      modelId: result.modelId ?? null,
      devExBefore: before?.devEx ?? null,
      // a finished job's adapter is its best checkpoint's when it was evaluated
      devExAfter: done ? (best?.devEx ?? last?.devEx ?? null) : (last?.devEx ?? null),
      best: best ? { step: best.step, devEx: best.devEx } : null,
    };
  };
  const row = (id: string): JobRow => {
    const r = db.prepare('SELECT * FROM train_jobs WHERE id = ?').get(id) as JobRow | undefined;
    if (!r) throw new SquillError('NOT_FOUND', `No training job with id "${id}"; it may have been deleted`);
    return r;
  };
  const evalRow = (r: { step: number; dev_ex: number; correct: number; total: number; ms: number; at: string; vote: string | null }): TrainEval => ({
    step: r.step, devEx: r.dev_ex, correct: r.correct, total: r.total, ms: r.ms, at: r.at,
    ...(r.vote ? { vote: JSON.parse(r.vote) as NonNullable<TrainEval['vote']> } : {}),
  });
  function listEvals(jobId: string, since = -1): TrainEval[] {
    return (db.prepare('SELECT * FROM train_evals WHERE job_id = ? AND step > ? ORDER BY step').all(jobId, since) as Parameters<typeof evalRow>[0][]).map(evalRow);
  }
  /** the best trained evaluation (earliest on ties), step 0 being the base model */
  function bestEval(jobId: string, upTo = Number.MAX_SAFE_INTEGER): TrainEval | null {
    const r = db.prepare('SELECT * FROM train_evals WHERE job_id = ? AND step > 0 AND step <= ? ORDER BY dev_ex DESC, step ASC LIMIT 1').get(jobId, upTo);
    return r ? evalRow(r as Parameters<typeof evalRow>[0]) : null;
  }

  return {
    create(input: { name: string; config: TrainConfig }): TrainJob {
      const { method, ...config } = input.config;
      const id = `job-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${crypto.randomBytes(4).toString('hex')}`;
      db.prepare('INSERT INTO train_jobs (id, name, method, config, state, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        id, input.name, method, JSON.stringify(config), 'queued', now(),
      );
      return toJob(row(id));
    },
    get: (id: string) => toJob(row(id)),
    list: (): TrainJob[] => (db.prepare('SELECT * FROM train_jobs ORDER BY created_at DESC, rowid DESC').all() as JobRow[]).map(toJob),
    /** jobs to run, the interrupted ones (state running: the app or machine died) first */
    pending: (): string[] =>
      (db.prepare(`SELECT id FROM train_jobs WHERE state IN ('running', 'queued') ORDER BY state = 'running' DESC, created_at, rowid`).all() as { id: string }[]).map((r) => r.id),
    setState(id: string, state: State, reason: string | null) {
      const at = now();
      db.prepare(
        `UPDATE train_jobs SET state = ?, reason = ?,
           started_at = CASE WHEN ? = 'running' AND started_at IS NULL THEN ? ELSE started_at END,
           finished_at = CASE WHEN ? IN ('done', 'failed', 'cancelled') THEN ? ELSE NULL END
         WHERE id = ?`,
      ).run(state, reason, state, at, state, at, id);
    },
    setProgress(id: string, step: number, totalSteps?: number) {
      if (totalSteps === undefined) db.prepare('UPDATE train_jobs SET step = ? WHERE id = ?').run(step, id);
      else db.prepare('UPDATE train_jobs SET step = ?, total_steps = ? WHERE id = ?').run(step, totalSteps, id);
    },
    setResult(id: string, result: JobResult) {
      db.prepare('UPDATE train_jobs SET result = ? WHERE id = ?').run(JSON.stringify(result), id);
    },
    result: (id: string): JobResult => JSON.parse(row(id).result) as JobResult,
    addMetric(jobId: string, m: TrainMetric) {
      db.prepare('INSERT INTO train_metrics (job_id, step, loss, lr, grad_norm, tokens_per_s, rss_bytes, at, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
        jobId, m.step, m.loss, m.lr, m.gradNorm, m.tokensPerS, m.rssBytes, m.at, m.extra ? JSON.stringify(m.extra) : null,
      );
    },
    metrics(jobId: string, since = 0): TrainMetric[] {
      return (db.prepare('SELECT * FROM train_metrics WHERE job_id = ? AND step > ? ORDER BY step').all(jobId, since) as {
        step: number; loss: number; lr: number; grad_norm: number; tokens_per_s: number; rss_bytes: number; at: string; extra: string | null;
      }[]).map((r) => ({
        step: r.step, loss: r.loss, lr: r.lr, gradNorm: r.grad_norm, tokensPerS: r.tokens_per_s, rssBytes: r.rss_bytes, at: r.at,
        ...(r.extra ? { extra: JSON.parse(r.extra) as Record<string, number> } : {}),
      }));
    },
    /** tokens/s of the job's latest `limit` steps after its first two (a trainer's warm-up), newest first */
    sustainedRates(jobId: string, limit: number): number[] {
      return (db.prepare('SELECT tokens_per_s AS r FROM train_metrics WHERE job_id = ? AND step > 2 AND tokens_per_s > 0 ORDER BY step DESC LIMIT ?').all(jobId, limit) as { r: number }[]).map((x) => x.r);
    },
    addEval(jobId: string, e: TrainEval) {
      db.prepare('INSERT OR REPLACE INTO train_evals (job_id, step, dev_ex, correct, total, ms, at, vote) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        jobId, e.step, e.devEx, e.correct, e.total, e.ms, e.at, e.vote ? JSON.stringify(e.vote) : null,
      );
    },
    evals: listEvals,
    bestEval,
    addCheckpoint(jobId: string, c: Omit<TrainCheckpoint, 'best' | 'devEx' | 'at'>) {
      db.prepare('INSERT OR REPLACE INTO train_checkpoints (job_id, step, role, path, at) VALUES (?, ?, ?, ?, ?)').run(jobId, c.step, c.role, c.path, now());
    },
    markCheckpoint(jobId: string, step: number, devEx: number, best: boolean) {
      db.transaction(() => {
        if (best) db.prepare('UPDATE train_checkpoints SET best = 0 WHERE job_id = ?').run(jobId);
        db.prepare('UPDATE train_checkpoints SET dev_ex = ?, best = ? WHERE job_id = ? AND step = ?').run(devEx, best ? 1 : 0, jobId, step);
      })();
    },
    checkpoints(jobId: string): TrainCheckpoint[] {
      return (db.prepare('SELECT * FROM train_checkpoints WHERE job_id = ? ORDER BY step').all(jobId) as {
        step: number; role: string; path: string; dev_ex: number | null; best: number; at: string;
      }[]).map((r) => ({ step: r.step, role: r.role, path: r.path, devEx: r.dev_ex, best: r.best === 1, at: r.at }));
    },
    removeCheckpoint(jobId: string, step: number) {
      db.prepare('DELETE FROM train_checkpoints WHERE job_id = ? AND step = ?').run(jobId, step);
    },
    /** forgets what came after a checkpoint, so a resumed run re-does those steps without a gap or a repeat */
    truncateAfter(jobId: string, step: number) {
      db.transaction(() => {
        db.prepare('DELETE FROM train_metrics WHERE job_id = ? AND step > ?').run(jobId, step);
        db.prepare('DELETE FROM train_evals WHERE job_id = ? AND step > ?').run(jobId, step);
        db.prepare('DELETE FROM train_checkpoints WHERE job_id = ? AND step > ?').run(jobId, step);
        db.prepare('UPDATE train_jobs SET step = ? WHERE id = ?').run(step, jobId);
      })();
    },
  };
}
export type JobStore = ReturnType<typeof createJobStore>;
