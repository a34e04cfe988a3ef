import tseslint from 'typescript-eslint';

// Module boundaries (issue 8). Only relative imports exist here (tsconfig has no path aliases), so
// each pattern matches a relative path with `soft-hsm` or `api` as a whole segment, not a package.
const SOFT_HSM = {
  regex: '^\\.\\.?/(?:.*/)?soft-hsm(?:/|$)',
  message:
    'src/soft-hsm is the simulator, a leaf: the product must not depend on it; move shared code to src/lib (only src/server/demo-hsms.ts and src/cli wire it in).',
};
const API = {
  regex: '^\\.\\.?/(?:.*/)?api(?:/|$)',
  message:
    'src/api is the REST edge on top of src/app: use cases must not depend on controllers, DTOs or HTTP problems; put what both need in src/app or src/lib.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'test-artifacts/**', '*.js', '*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src/app/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [SOFT_HSM, API] }] },
  },
  {
    files: [
      'src/api/**/*.ts',
      'src/projections/**/*.ts',
      'src/lib/**/*.ts',
      'src/event-store/**/*.ts',
      'src/hsm-adapter/**/*.ts',
    ],
    rules: { 'no-restricted-imports': ['error', { patterns: [SOFT_HSM] }] },
  },
  {
    // Domain code is pure: no I/O, no framework, no clock (docs/architecture.md §1). One rule entry for
    // both restrictions: flat config does not merge two `no-restricted-imports` settings, the last wins.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', '@nestjs/*', 'better-sqlite3', '@eventstore/*', '../*/**'],
              message: 'src/domain is pure deciders: no I/O, no framework, no module outside src/domain.',
            },
            SOFT_HSM,
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now' },
        { object: 'Math', property: 'random' },
      ],
    },
  },
);
