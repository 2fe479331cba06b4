/**
 * Scoring speed: ~3,900 predictions over Spider dev (the 972 runnable golds, each as itself, with LIMIT 3, with its
 * ORDER BY direction flipped, and with a typo), scored with spider_exec, bird_ex and soft_f1 — each metric alone,
 * then all three together — through the real sandbox and store. The reference is the official Python programs'
 * time on this machine class for ~4,000 pairs across the three metrics (about 20 s, from the issue).
 * Run: npm run bench:eval [-- --workers N]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchmarkFolder } from '../src/core/eval/index.ts';
import { createCore } from '../src/core/index.ts';
import type { MetricName } from '../src/shared/contract/index.ts';

const OFFICIAL_SECONDS = 20;
const SPIDER = path.resolve(import.meta.dirname, '../../shared/bench/spider');
if (!fs.existsSync(path.join(SPIDER, 'dev_gold.sql'))) {
  console.error(`Spider data not found at ${SPIDER}; nothing to measure`);
  process.exit(1);
}
const workersArg = process.argv.indexOf('--workers');
const workers = workersArg > 0 ? Number(process.argv[workersArg + 1]) : os.availableParallelism();

const spider = benchmarkFolder('spider', SPIDER);
const golds = fs
  .readFileSync(path.join(SPIDER, 'dev_gold.sql'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => l.split('\t') as [string, string])
  .filter(([, db]) => !spider.database('dev', db.trim()).unavailable);
const variants = (gold: string) => [
  gold,
  /\blimit\b/i.test(gold) ? gold.replace(/\blimit\s+\d+/i, 'LIMIT 3') : `${gold} LIMIT 3`,
  /\bdesc\b/i.test(gold) ? gold.replace(/\bdesc\b/i, 'ASC') : gold.replace(/\border by ([^;]+?)(\s+asc)?$/i, 'ORDER BY $1 DESC'),
  gold.replace(/^select/i, 'SELEC'),
];
const lines = golds.flatMap(([gold, db], i) =>
  variants(gold).map((pred, v) => JSON.stringify({ id: `${i}.${v}`, db_id: db.trim(), gold, pred })),
);
const content = `${lines.join('\n')}\n`;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-bench-eval-'));
const core = createCore({ dataDir, host: 'cli', log: () => undefined });
async function timed(metrics: MetricName[]) {
  const started = performance.now();
  const { runId } = await core.evaluations.start({ bench: 'spider', dataDir: SPIDER, predictions: { content, fileName: 'bench.jsonl' }, metrics, workers });
  const run = await core.evaluations.finished(runId);
  return { seconds: (performance.now() - started) / 1000, run };
}

await timed(['spider_exec']); // warm-up: file cache, JIT, worker start
console.log(`${lines.length} predictions over Spider dev, ${workers} sandbox processes, node ${process.version}, ${os.availableParallelism()} cores`);
console.log('metrics                          seconds   score   vs official (~20 s for all three)');
for (const metrics of [['spider_exec'], ['bird_ex'], ['soft_f1'], ['spider_exec', 'bird_ex', 'soft_f1']] as MetricName[][]) {
  const { seconds, run } = await timed(metrics);
  const scores = metrics.map((m) => run.summary[m]!.score.toFixed(2)).join(' / ');
  const speedup = metrics.length === 3 ? `${(OFFICIAL_SECONDS / seconds).toFixed(1)}x faster` : '';
  console.log(`${metrics.join(', ').padEnd(32)} ${seconds.toFixed(2).padStart(7)}   ${scores.padEnd(22)} ${speedup}`);
}
await core.close();
fs.rmSync(dataDir, { recursive: true, force: true });
