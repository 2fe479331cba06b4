import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { createCore, resolveDataDir } from '../../core/index.ts';
import { createPathPolicy, loadOrCreateToken, startServer } from '../../server/index.ts';
import { isLoopbackHost } from '../../server/auth.ts';
import { UsageError } from '../errors.ts';

export const DEFAULT_PORT = 7431;
const BUILT_RENDERER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../out/renderer');
/** The exit status after an exception nobody caught (EX_SOFTWARE): a supervisor restarts us, jobs resume. */
const EXIT_UNSAFE = 70;

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0 picks a free one)');
  return port;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the Squill UI and API to browser tabs (team / headless mode)')
    .option('--host <address>', 'address to bind; anything but loopback exposes Squill to the network', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0 picks a free one)', parsePort, DEFAULT_PORT)
    .option('--rotate-token', 'replace the access token kept in the data folder (old links stop working)')
    .option('--allow <dir>', 'let browser clients name files only inside this folder (repeatable); default: any file this user can read', collect)
    .action(async (opts: { host: string; port: number; rotateToken?: boolean; allow?: string[] }) => {
      if (opts.allow) {
        try {
          createPathPolicy(opts.allow); // a missing folder is bad usage (exit 2), before anything starts
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
      }
      const dataDir = resolveDataDir();
      const core = createCore({ dataDir, host: 'server' });
      let server;
      try {
        const token = loadOrCreateToken(dataDir, opts.rotateToken);
        server = await startServer({ core, token, host: opts.host, port: opts.port, staticDir: BUILT_RENDERER, allow: opts.allow });
      } catch (err) {
        await core.close();
        throw err;
      }
      const running = server;
      let stopping: Promise<void> | null = null;
      const shutdown = () => (stopping ??= running.close().then(() => core.close()));

      // Requests and WebSocket messages run behind their own boundaries (src/server), so a throw that still reaches
      // the process came from a timer or an event handler whose state is now unknown. A rejected promise nobody
      // awaited leaves no half-run code behind: it is logged and the server goes on. An uncaught exception is
      // logged, the running training job is given its grace period to finish its step and checkpoint (core.close),
      // and the process exits 70, so a supervisor restarts it and the job resumes where it stopped.
      process.on('unhandledRejection', (reason) => {
        process.stderr.write(`squill serve: unhandled rejection (kept serving): ${(reason as Error)?.stack ?? String(reason)}\n`);
      });
      process.on('uncaughtException', (err) => {
        process.stderr.write(`squill serve: uncaught exception, checkpointing and exiting: ${err.stack ?? String(err)}\n`);
        process.exitCode = EXIT_UNSAFE;
        void shutdown().finally(() => process.exit(EXIT_UNSAFE));
      });

      if (!isLoopbackHost(opts.host)) {
        process.stderr.write(
          `warning: listening on ${opts.host}: anyone who can reach this machine and has the token can use Squill, ` +
            'and the traffic is not encrypted\n',
        );
        if (!opts.allow) {
          process.stderr.write('warning: no --allow folder: browser clients can name any file this user can read\n');
        }
      }
      process.stdout.write(`Squill is serving at ${server.url}\n`);
      if (opts.allow) process.stderr.write(`browser clients may use files in: ${opts.allow.join(', ')}\n`);
      process.stderr.write(`data folder: ${dataDir} (Ctrl+C stops)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await shutdown();
    });
}
