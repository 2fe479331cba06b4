/**
 * Squill's module boundaries, checked by dependency-cruiser in `npm test` (`npm run lint:boundaries`).
 * docs/architecture.md explains them: each folder of src/core is a capability whose index.ts is its public face;
 * the core never reaches into Electron, the renderer or the transports; renderer pages do not import each other.
 */
const FACE = 'index\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'An import cycle makes load order matter and two modules one; break it by moving the shared piece down.',
      severity: 'error',
      from: { path: '^(src|bench|test|e2e)/' },
      to: { circular: true },
    },
    {
      name: 'core-stays-headless',
      comment: 'src/core runs in Electron main, squill serve and the CLI: it imports no Electron, renderer, transport or CLI code.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: ['^src/(renderer|main|preload|server|cli)/', '^electron$', 'node_modules/electron/'] },
    },
    {
      name: 'shared-stays-shared',
      comment: 'src/shared is imported by every process, the renderer included: it depends on nothing of ours but itself.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/(core|renderer|main|preload|server|cli)/' },
    },
    {
      name: 'renderer-is-a-client',
      comment: 'The renderer talks to the backend through the contract only (src/shared); it never imports the core.',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: { path: '^src/(core|main|server|cli)/' },
    },
    {
      name: 'capability-face',
      comment: 'A capability of src/core is used by others through its index.ts only.',
      severity: 'error',
      from: { path: '^src/core/([^/]+)/' },
      to: { path: '^src/core/[^/]+/', pathNot: ['^src/core/$1/', `^src/core/[^/]+/${FACE}`] },
    },
    {
      name: 'sub-capability-face',
      comment: 'Inside a capability, a sub-folder (train/jobs, ai/strategies, …) is used by its siblings through its index.ts.',
      severity: 'error',
      from: { path: '^src/core/([^/]+)/([^/]+)/' },
      to: { path: '^src/core/$1/[^/]+/', pathNot: ['^src/core/$1/$2/', `^src/core/[^/]+/[^/]+/${FACE}`] },
    },
    {
      name: 'sub-capability-face-from-top',
      comment: 'The files at the top of a capability use its sub-folders through their index.ts too.',
      severity: 'error',
      from: { path: '^src/core/([^/]+)/[^/]+$' },
      to: { path: '^src/core/$1/[^/]+/', pathNot: `^src/core/[^/]+/[^/]+/${FACE}` },
    },
    {
      name: 'faces-for-the-outside',
      comment: 'The CLI, the server, Electron main, bench, e2e and shared test helpers use core capabilities through their faces.',
      severity: 'error',
      from: { path: '^(src/(cli|server|main|preload)|bench|e2e|test)/' },
      to: { path: '^src/core/[^/]+/', pathNot: `^src/core/[^/]+/${FACE}` },
    },
    {
      name: 'pages-do-not-import-pages',
      comment: 'A renderer page is used by the app shell, not by another page: shared pieces live in src/renderer/src/lib or components.',
      severity: 'error',
      from: { path: '^src/renderer/src/pages/([^/.]+)' },
      to: { path: '^src/renderer/src/pages/', pathNot: '^src/renderer/src/pages/$1(/|\\.tsx?$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(out|node_modules|native)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'] },
  },
};
