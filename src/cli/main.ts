// Entry of the `squill` command (bin/squill.js loads it).
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv.slice(2));
