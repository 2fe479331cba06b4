import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { createCore, resolveDataDir } from '../../core/index.ts';
import { loadOrCreateToken, startServer } from '../../server/index.ts';
import { isLoopbackHost } from '../../server/auth.ts';

export const DEFAULT_PORT = 7431;
const BUILT_RENDERER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../out/renderer');

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0 picks a free one)');
  return port;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the Squill UI and API to browser tabs (team / headless mode)')
    .option('--host <address>', 'address to bind; anything but loopback exposes Squill to the network', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0 picks a free one)', parsePort, DEFAULT_PORT)
    .option('--rotate-token', 'replace the access token kept in the data folder (old links stop working)')
    .action(async (opts: { host: string; port: number; rotateToken?: boolean }) => {
      const dataDir = resolveDataDir();
      const core = createCore({ dataDir, host: 'server' });
      let server;
      try {
        const token = loadOrCreateToken(dataDir, opts.rotateToken);
        server = await startServer({ core, token, host: opts.host, port: opts.port, staticDir: BUILT_RENDERER });
      } catch (err) {
        await core.close();
        throw err;
      }
      if (!isLoopbackHost(opts.host)) {
        process.stderr.write(
          `warning: listening on ${opts.host}: anyone who can reach this machine and has the token can use Squill, ` +
            'and the traffic is not encrypted\n',
        );
      }
      process.stdout.write(`Squill is serving at ${server.url}\n`);
      process.stderr.write(`data folder: ${dataDir} (Ctrl+C stops)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      await core.close();
    });
}
