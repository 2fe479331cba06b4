import fs from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.ts';
import { EXIT } from './errors.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/squill.js');

function squill(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, SQUILL_DATA_DIR: tempDir(), ...env },
    timeout: 20_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('the squill command', () => {
  it('prints help and the version with exit 0', () => {
    const help = squill(['--help']);
    expect(help.code).toBe(EXIT.OK);
    expect(help.stdout).toContain('serve');
    const serveHelp = squill(['serve', '--help']);
    expect(serveHelp.stdout).toContain('--port');
    expect(squill(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('exits 2 on bad usage, with the reason on stderr', () => {
    const none = squill([]);
    expect(none.code).toBe(EXIT.USAGE);
    expect(none.stderr).toContain('Usage: squill');
    const unknown = squill(['frobnicate']);
    expect(unknown.code).toBe(EXIT.USAGE);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const badPort = squill(['serve', '--port', '70000']);
    expect(badPort.code).toBe(EXIT.USAGE);
    expect(badPort.stderr).toContain('a port is a whole number');
    expect(squill(['serve', '--bogus']).code).toBe(EXIT.USAGE);
    const badAllow = squill(['serve', '--allow', '/no/such/folder']);
    expect(badAllow.code).toBe(EXIT.USAGE);
    expect(badAllow.stderr).toContain('--allow /no/such/folder: no such folder');
  });

  it('exits 1 with a one-line reason when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const res = squill(['serve', '--port', String(port)]);
    blocker.close();
    expect(res.code).toBe(EXIT.FAILED);
    expect(res.stderr.trim().split('\n').at(-1)).toBe(`squill: Port ${port} on 127.0.0.1 is already in use; pass --port N`);
  });

  const demo = (name: string) => path.resolve(import.meta.dirname, `../../resources/demo/${name}.sqlite`);

  it('schema describes a database, as text and as documented JSON', () => {
    const text = squill(['schema', '--db', demo('concert_singer')]);
    expect(text.code).toBe(EXIT.OK);
    expect(text.stdout).toContain('concert_singer.sqlite: 4 tables, 0 views');
    expect(text.stdout).toContain('FK (Singer_ID) -> singer(Singer_ID)');
    const json = squill(['schema', '--db', demo('concert_singer'), '--json']);
    const schema = JSON.parse(json.stdout);
    const sic = schema.tables.find((t: { name: string }) => t.name === 'singer_in_concert');
    expect(sic.columns[0]).toMatchObject({ name: 'concert_ID', type: 'INT', pk: 1, notNull: false, default: null });
    expect(sic.foreignKeys).toContainEqual(expect.objectContaining({ columns: ['Singer_ID'], refTable: 'singer', refColumns: ['Singer_ID'] }));
    expect(sic.rowCount).toBe(10);
    expect(schema.views).toEqual([]);
    expect(squill(['schema', '--db', '/nonexistent.db']).code).toBe(EXIT.USAGE);
  });

  it('query prints rows, and JSON with columns, rows, truncated and elapsedMs', () => {
    const text = squill(['query', '--db', demo('world_1'), 'SELECT Name, LifeExpectancy FROM country WHERE Code = \'NLD\'']);
    expect(text.code).toBe(EXIT.OK);
    expect(text.stdout).toMatch(/Netherlands \|\s+78\.3/);
    expect(text.stdout).toMatch(/1 row in [\d.]+ ms/);
    const json = squill(['query', '--db', demo('world_1'), '--json', '--max-rows', '3', 'SELECT ID, Name FROM city ORDER BY ID']);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({
      columns: [{ name: 'ID', declType: 'INTEGER' }, { name: 'Name', declType: 'char(35)' }],
      rows: [[1, 'Kabul'], [2, 'Qandahar'], [3, 'Herat']],
      truncated: true,
      elapsedMs: expect.any(Number),
    });
  });

  it('query exits 1 when refused or timed out, with the reason on stderr and in --json', () => {
    const refused = squill(['query', '--db', demo('world_1'), '--json', 'DROP TABLE city']);
    expect(refused.code).toBe(EXIT.FAILED);
    expect(JSON.parse(refused.stdout)).toEqual({ error: { code: 'REFUSED', message: expect.stringMatching(/^Refused: DROP/) } });
    expect(refused.stderr.trim()).toMatch(/^squill: Refused: DROP changes the schema/);
    const slow = squill(['query', '--db', demo('world_1'), '--timeout-ms', '200',
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c']);
    expect(slow.code).toBe(EXIT.FAILED);
    expect(slow.stderr.trim()).toBe('squill: The query was stopped after 200 ms (its time limit)');
    const bad = squill(['query', '--db', demo('world_1'), 'SELECT nope FROM city']);
    expect([bad.code, bad.stderr.trim()]).toEqual([EXIT.FAILED, 'squill: no such column: nope']);
    expect(squill(['query', '--db', demo('world_1')]).code).toBe(EXIT.USAGE);
    expect(squill(['query', '--db', demo('world_1'), '--max-rows', '0', 'SELECT 1']).code).toBe(EXIT.USAGE);
  });

  it('eval score writes one line per input and a summary, and keeps the run', () => {
    const spider = path.resolve(import.meta.dirname, '../../../shared/bench/spider');
    if (!fs.existsSync(spider)) return; // benchmark data absent: nothing to score
    const dir = tempDir();
    const predictions = path.join(dir, 'p.jsonl');
    fs.writeFileSync(predictions, [
      { id: 'a', db_id: 'concert_singer', gold: 'SELECT count(*) FROM singer', pred: 'SELECT count(*) FROM singer' },
      { id: 'b', db_id: 'concert_singer', gold: 'SELECT count(*) FROM singer', pred: 'SELECT 1' },
      { id: 'c', db_id: 'wta_1', gold: 'SELECT 1', pred: 'SELECT 1' },
    ].map((l) => JSON.stringify(l)).join('\n'));
    const out = path.join(dir, 'out.jsonl');
    const res = squill(['eval', 'score', '--bench', 'spider', '--data', spider, '--predictions', predictions, '--out', out]);
    expect(res.code).toBe(EXIT.OK);
    expect(res.stdout).toMatch(/spider_exec\s+50\.00\s+over 2 scored/);
    expect(res.stdout).toMatch(/reasons: match 1, values 1/);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ id: 'a', spider_exec: 1, bird_ex: 1, soft_f1: 1, reasons: { spider_exec: { code: 'match' } } });
    expect(lines[1]).toMatchObject({ id: 'b', spider_exec: 0 });
    expect(lines[2]).toMatchObject({ id: 'c', unavailable: expect.stringMatching(/wta_1/) });
    const bad = squill(['eval', 'score', '--bench', 'spider', '--data', spider, '--predictions', predictions, '--out', out, '--metrics', 'accuracy']);
    expect(bad.code).toBe(EXIT.USAGE);
    expect(bad.stderr).toMatch(/metrics are a comma-separated list/);
    expect(squill(['eval', 'score', '--bench', 'spider', '--data', spider, '--predictions', '/nope.jsonl', '--out', out]).code).toBe(EXIT.USAGE);
  });

  it('serve prints the token URL, answers /api/health, survives a malformed cookie, and stops cleanly on SIGTERM', async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--allow', dataDir], {
      env: { ...process.env, SQUILL_DATA_DIR: dataDir },
    });
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(stdout);
        if (m) resolve(m[0]);
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    const { origin, searchParams } = new URL(url);
    expect((await fetch(`${origin}/api/health`)).status).toBe(401);
    // the request that used to end the process: a cookie that is not valid percent-encoding, without a token
    expect((await fetch(`${origin}/`, { headers: { Cookie: 'x=%' } })).status).toBe(401);
    const ok = await fetch(`${origin}/api/health`, { headers: { Authorization: `Bearer ${searchParams.get('token')}` } });
    expect(ok.status).toBe(200);
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
