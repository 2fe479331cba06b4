export { buildProgram, runCli } from './program.ts';
export { EXIT, UsageError } from './errors.ts';
