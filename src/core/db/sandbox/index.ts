/** The SQL sandbox: a pool of killable worker processes that run one read-only statement each, with limits. */
export { DEFAULT_LIMITS, createSandboxPool, type QueryLimits, type SandboxPool, type SandboxPoolOptions } from './pool.ts';
export { encodeCell } from './encode.ts';
