import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// ESLint rather than Biome: Biome's platform binaries are not on this registry, so `npm ci` could not install it.
export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'models/', 'bench/.cache/', 'bench/out/', 'evals/out/', 'test-results/', '.tmp*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  { files: ['web/**/*.js'], languageOptions: { globals: globals.browser } },
  { files: ['**/*.ts', '*.js'], languageOptions: { globals: globals.node } },
);
