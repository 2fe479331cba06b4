/**
 * The reproducibility record of a run: the versions (Squill, SQLite, metrics), the sha256 of every dataset and
 * database file read, the predictions' hash, the options and the hardware — everything needed to reproduce a score.
 */
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { ReproRecord } from '../../shared/contract/index.ts';
import { sha256File } from './hash.ts';
import { METRIC_VERSION } from './score.ts';

export function reproRecord(o: {
  squillVersion: string;
  bench: ReproRecord['bench'];
  dataDir: string;
  datasetFiles: string[];
  /** every example's database files */
  dbFiles: string[][];
  predictionsSha: string;
  options: ReproRecord['options'];
}): ReproRecord {
  const sqliteVersion = (() => {
    const mem = new BetterSqlite3(':memory:');
    try {
      return mem.prepare('SELECT sqlite_version()').pluck().get() as string;
    } finally {
      mem.close();
    }
  })();
  const databases = [...new Set(o.dbFiles.flat())];
  return {
    squillVersion: o.squillVersion,
    sqliteVersion,
    metricVersion: METRIC_VERSION,
    bench: o.bench,
    dataDir: o.dataDir,
    datasetHashes: Object.fromEntries(o.datasetFiles.map((f) => [path.relative(o.dataDir, f) || path.basename(f), sha256File(f)])),
    databaseHashes: Object.fromEntries(databases.map((f) => [path.relative(o.dataDir, f), sha256File(f)])),
    predictionsSha256: o.predictionsSha,
    options: o.options,
    hardware: { cpu: os.cpus()[0]?.model.trim() ?? 'unknown', cores: os.availableParallelism(), gpu: null },
    model: null,
  };
}
