import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// ESLint rather than Biome: Biome's platform binaries are not on this registry, so `npm ci` could not install it.
export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'models/', 'bench/.cache/', 'bench/out/', 'evals/out/', 'test-results/', 'dist/', '.tmp*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  // An import cycle means two modules that cannot be read (or loaded) one without the other: none allowed.
  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs'] })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js', '.mjs'],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  { files: ['web/**/*.js'], languageOptions: { globals: globals.browser } },
  { files: ['**/*.ts', '*.js'], languageOptions: { globals: globals.node } },
);
