import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of lib/ and the layers each may import (ARCHITECTURE.md explains them). A file in
 * lib/<layer>/ may import its own layer, the layers listed here and packages; nothing else of
 * lib/. Nothing in a layer imports an entry point (lib/index.ts, lib/bearer.ts, lib/client.ts);
 * the entry points may import anything. Import circles are refused by dependency-cruiser
 * (.dependency-cruiser.cjs, `npm run lint:cycles`), type-only imports included.
 */
const LAYERS = {
  core: ['core'],
  passport: ['core', 'passport'],
  client: ['core', 'client'],
  'sign-in': ['core', 'passport', 'client', 'sign-in'],
  bearer: ['core', 'passport', 'bearer'],
  app: ['core', 'passport', 'client', 'sign-in', 'bearer', 'app'],
};
const ENTRY_POINTS = ['index', 'bearer', 'client'];
const LIB_TS = ['lib/**/*.ts'];

// Import specifiers are matched as written: a relative path that goes through a folder named
// after a layer reaches that layer, so no sub-folder of a layer may be named after a layer.
const through = (folder) => `^\\.{1,2}/(?:.*/)?${folder}(?:/|$)`;
// '../index.js', '../../client', '..': a climb that ends at a file of lib/ named like an entry point.
const entryPoint = `^(?:\\.\\./)*\\.\\.(?:/(?:${ENTRY_POINTS.join('|')})(?:\\.[cm]?[jt]s)?)?/?$`;

function layerRules(layer, allowed) {
  const mayImport = allowed.map((name) => `${name}/`).join(', ');
  const forbidden = Object.keys(LAYERS).filter((other) => !allowed.includes(other));
  return {
    files: [`lib/${layer}/**`],
    rules: {
      // Type-only imports and `export ... from` are checked too.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...forbidden.map((other) => ({
              regex: through(other),
              message: `lib/${layer}/ may import ${mayImport} only, not ${other}/ (ARCHITECTURE.md).`,
            })),
            { regex: entryPoint, message: `lib/${layer}/ must not import an entry point of lib/ (ARCHITECTURE.md).` },
          ],
        },
      ],
      // Imports the rule above cannot see.
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSImportType',
          message: 'Import the type with `import type` at the top: the layer rules read import declarations.',
        },
        {
          selector: 'ImportExpression[source.value=/^\\./]',
          message: 'No dynamic import of lib/ code: the layer rules read import declarations.',
        },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'bench/out/',
      'coverage/',
      'node_modules/',
      'test-output/',
      'test/frameworks/nestjs/',
      'test/frameworks/nestjs-esm/',
    ],
  },
  ...Object.entries(LAYERS).map(([layer, allowed]) => layerRules(layer, allowed)),
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // lib/ is held to more: typescript-eslint's strict and stylistic type-checked sets, short
  // functions with few paths. An exception is an inline eslint-disable-next-line that says why.
  ...[...tseslint.configs.strictTypeChecked, ...tseslint.configs.stylisticTypeChecked].map((config) => ({
    ...config,
    files: LIB_TS,
  })),
  {
    files: LIB_TS,
    rules: {
      // `||` on a string says that empty counts as absent (Okta's empty refresh_token, a blank
      // header, an unset secret variable): `??` would keep the empty string.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { string: true } }],
      // Passing on an error we were given (unknown by nature) is allowed, as only-throw-error allows it.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      complexity: ['error', 15],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
      // strictTypeChecked's setting, but numbers allowed: messages quote milliseconds, byte
      // counts and statuses, which have one way to print.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowAny: false, allowBoolean: false, allowNever: false, allowNullish: false, allowNumber: true, allowRegExp: false },
      ],
    },
  },
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', console: 'readonly', process: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
