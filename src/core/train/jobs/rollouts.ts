/**
 * An online job's rollouts, one file per step in its folder (rollouts/step-NNNNNNN.json: every prompt's group of
 * samples with their rewards and advantages), for the rollout browser. Written atomically after the step's metric;
 * a resumed job forgets the files after its checkpoint with the metrics, so the browser never shows a step twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TrainRolloutsSchema, type Connection, type RolloutGroup, type TrainRollouts } from '../../../shared/contract/index.ts';
import { SquillError } from '../../../shared/errors.ts';
import { realPath } from './realPath.ts';

const FILE = /^step-(\d{7})\.json$/;
const folder = (dir: string) => path.join(dir, 'rollouts');
const fileOf = (dir: string, step: number) => path.join(folder(dir), `step-${String(step).padStart(7, '0')}.json`);

export function writeRollouts(dir: string, step: number, groups: RolloutGroup[], seconds: NonNullable<TrainRollouts['seconds']>): void {
  fs.mkdirSync(folder(dir), { recursive: true });
  const file = fileOf(dir, step);
  fs.writeFileSync(`${file}.partial`, JSON.stringify({ step, groups, seconds }));
  fs.renameSync(`${file}.partial`, file);
}

/** the steps whose rollouts are kept, ascending */
export function rolloutSteps(dir: string): number[] {
  if (!fs.existsSync(folder(dir))) return [];
  return fs
    .readdirSync(folder(dir))
    .map((f) => FILE.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/**
 * The rollouts of a step (default: the latest kept), each group's database matched to the app's connections (see
 * connectionsOf; none given: every database unmatched).
 */
export function readRollouts(dir: string, step?: number, connections: readonly Connection[] = []): TrainRollouts {
  const steps = rolloutSteps(dir);
  const at = step ?? steps.at(-1) ?? null;
  if (at === null) return { steps, step: null, groups: [], seconds: null, connections: {} };
  if (!steps.includes(at)) throw new SquillError('NOT_FOUND', `No rollouts are kept for step ${at}${steps.length ? ` (kept: steps ${steps[0]}-${steps.at(-1)})` : ''}`);
  const parsed = TrainRolloutsSchema.omit({ steps: true, connections: true }).safeParse(JSON.parse(fs.readFileSync(fileOf(dir, at), 'utf8')));
  if (!parsed.success) throw new SquillError('INTERNAL', `The rollouts of step ${at} are unreadable: ${parsed.error.issues[0]?.message}`);
  return { steps, ...parsed.data, connections: connectionsOf(parsed.data.groups.map((g) => g.dbPath), connections) };
}

/**
 * The app's usable connection for each database path, or null: paths are compared as real paths, since a job's
 * data may name a database through a link or another spelling than the one it was added with (demos live under
 * the resources folder, a dataset may point into a checkout or a linked folder). The first usable one wins.
 */
export function connectionsOf(dbPaths: readonly string[], connections: readonly Connection[]): Record<string, string | null> {
  const byReal = new Map<string, string>();
  for (const c of connections) {
    const real = realPath(c.path);
    if (c.status === 'ok' && !byReal.has(real)) byReal.set(real, c.id);
  }
  return Object.fromEntries([...new Set(dbPaths)].map((p) => [p, byReal.get(realPath(p)) ?? null]));
}

/** forgets the rollouts of steps after `step` (a resume re-does them) */
export function truncateRollouts(dir: string, step: number): void {
  for (const s of rolloutSteps(dir)) if (s > step) fs.rmSync(fileOf(dir, s), { force: true });
}
