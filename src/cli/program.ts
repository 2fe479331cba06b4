import { Command, CommanderError } from 'commander';
import { APP_VERSION } from '../core/index.ts';
import { askCommand } from './commands/ask.ts';
import { evalCommand } from './commands/eval.ts';
import { modelCommand } from './commands/model.ts';
import { trainCommand } from './commands/train.ts';
import { trainerCommand } from './commands/trainer.ts';
import { queryCommand } from './commands/query.ts';
import { rewardCommand } from './commands/reward.ts';
import { schemaCommand } from './commands/schema.ts';
import { serveCommand } from './commands/serve.ts';
import { EXIT, exitCodeFor, oneLine } from './errors.ts';

export function buildProgram(): Command {
  const program = new Command('squill')
    .description('Squill: text-to-SQL with small local language models')
    .version(APP_VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addCommand(serveCommand())
    .addCommand(schemaCommand())
    .addCommand(queryCommand())
    .addCommand(askCommand())
    .addCommand(evalCommand())
    .addCommand(modelCommand())
    .addCommand(trainCommand())
    .addCommand(rewardCommand())
    .addCommand(trainerCommand());
  // Subcommands inherit exitOverride only when it is set before they are added; set it on each explicitly.
  for (const command of program.commands) command.exitOverride();
  return program;
}

export interface CliIo {
  stderr: (text: string) => void;
}

/** Runs the CLI; resolves to the exit code instead of calling process.exit, so it can be tested in-process. */
export async function runCli(argv: string[], io: CliIo = { stderr: (t) => process.stderr.write(t) }): Promise<number> {
  const program = buildProgram();
  if (argv.length === 0) {
    io.stderr(program.helpInformation());
    return EXIT.USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    // a command that reports its own failure (e.g. trainer check) sets the exit code and returns
    return typeof process.exitCode === 'number' && process.exitCode !== 0 ? process.exitCode : EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and --version end with exit code 0; commander has already printed usage errors
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    io.stderr(`squill: ${oneLine(err)}\n`);
    return exitCodeFor(err);
  }
}
