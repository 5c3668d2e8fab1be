/**
 * Import circles are refused in lib/ and bench/ (`npm run lint`). Type-only imports count:
 * a circle of types is still a circle. The layer rules (which folder may import which) are in
 * eslint.config.mjs; ARCHITECTURE.md explains both.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle (type-only imports included). Move the shared part down a layer.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Keep the imports TypeScript erases (import type, export type): they are dependencies too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
