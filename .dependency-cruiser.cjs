/**
 * The layers of the code, checked by `npm run lint:deps` (part of `npm test`): imports point down
 * only, and nothing imports in a circle. docs/ARCHITECTURE.md draws the same picture.
 *
 *   src/ui ─────────────┐            src/cli
 *   src/pages ──────────┤               │
 *   workers ────────────┤               │
 *   src/browser ────────┤               │
 *   src/protocol (types only) ──────────┤
 *   src/engine (DOM-free, no Node built-ins) ◄┘
 *
 * Type-only imports count: a module that needs another layer's types takes them from src/protocol.
 * Tests (*.test.ts) and test helpers (testing/ folders) are outside the rules; they may reach
 * across to drive what they test.
 */
const TESTS = '(\\.test\\.tsx?$|/testing/)';

/** A rule that `from` (non-test modules under a path) imports only from `allowed` (and packages). */
const onlyFrom = (name, comment, from, allowed) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from, pathNot: TESTS },
  to: { dependencyTypesNot: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'core'], pathNot: allowed },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules import each other in a circle; break it by moving the shared part down a layer.',
      severity: 'error',
      from: { pathNot: TESTS },
      to: { circular: true },
    },
    onlyFrom('engine-stands-alone', 'src/engine is the base: it imports nothing from the layers above it.', '^src/engine/', '^src/engine/'),
    {
      name: 'engine-without-node',
      comment: 'src/engine runs in browsers and workers as well as Node: no Node built-ins outside tests (pass data or functions in).',
      severity: 'error',
      from: { path: '^src/engine/', pathNot: TESTS },
      to: { dependencyTypes: ['core'] },
    },
    onlyFrom(
      'scene-is-the-engine-base',
      'The scene document (src/engine/scene) is what the rest of the engine builds on: it imports only the leaves errors.ts, hash.ts and versioned.ts beside itself.',
      '^src/engine/scene/',
      '^src/engine/(scene/|errors\\.ts$|hash\\.ts$|versioned\\.ts$)',
    ),
    onlyFrom('protocol-is-engine-types', 'src/protocol holds the wire types between layers; it imports only engine types.', '^src/protocol/', '^src/(protocol|engine)/'),
    {
      name: 'protocol-is-types-only',
      comment: 'src/protocol modules are type-only: they are shared by processes that must not load each other.',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { dependencyTypesNot: ['type-only'] },
    },
    onlyFrom('browser-below-workers', 'src/browser (code for any browser thread) imports the engine and protocol only.', '^src/browser/', '^src/(browser|protocol|engine)/'),
    onlyFrom('workers-only-wire', 'workers/ wire the engine and src/browser to comlink; they take wire types from src/protocol.', '^workers/', '^(workers/[^/]+$|src/(browser|protocol|engine)/)'),
    onlyFrom('pages-below-ui', 'src/pages (the headless pages and the worker clients) import browser, protocol and engine modules; workers only through new URL(…).', '^src/pages/', '^src/(pages|browser|protocol|engine)/'),
    onlyFrom('ui-above-all', 'src/ui may import any browser layer except the CLI and workers (workers are started with new URL(…), their types come from src/protocol).', '^src/ui/', '^src/(ui|pages|browser|protocol|engine)/'),
    {
      name: 'ui-not-page-entries',
      comment: 'A *Page.ts module is a headless page entry point: importing it runs that page.',
      severity: 'error',
      from: { path: '^src/ui/', pathNot: TESTS },
      to: { path: '^src/pages/[^/]*Page\\.ts$' },
    },
    onlyFrom('cli-on-engine', 'src/cli runs in Node over the engine; it knows pages and workers only by their wire types (src/protocol).', '^src/cli/', '^src/(cli|protocol|engine)/'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.mjs'] },
    skipAnalysisNotInRules: true,
  },
};
