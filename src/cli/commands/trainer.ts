import { Command } from 'commander';
import { runTrainerChecks } from '../../core/train/index.ts';

function checkCommand(): Command {
  return new Command('check')
    .description("the LoRA engine's self-checks: gradients, frozen base, resume, seeded generation, memorization")
    .action(async () => {
      const results = await runTrainerChecks({ onProgress: (line) => process.stdout.write(`${line}\n`) });
      const last = results.at(-1)!;
      process.stdout.write(`${last.ok ? 'ok  ' : 'FAIL'} ${last.name}: ${last.detail}\n`);
      const failed = results.filter((r) => !r.ok).length;
      process.stdout.write(`trainer check: ${results.length - failed} passed, ${failed} failed\n`);
      if (failed) process.exitCode = 1;
    });
}

export function trainerCommand(): Command {
  return new Command('trainer').description('the native LoRA engine').addCommand(checkCommand().exitOverride());
}
