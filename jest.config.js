// ESM-only packages are transformed to CommonJS by swc (Jest 30 on Node 20 cannot load ESM itself).
const esmOnly = [
  '@nestjs',
  '@noble',
  'cookie',
  'content-disposition',
  'file-type',
  'strtok3',
  'token-types',
  '@tokenizer',
  '@borewit',
  'uint8array-extras',
  'fast-check',
  'pure-rand',
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  testTimeout: 60000,
  // Child processes (`keyledger serve`, the CLI) run from one JavaScript build of src/ per run
  // (test/support/children-build.ts), not each compiling the source again.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Jest's default (cores - 1) runs one suite at a time on this project's 2-core machines; most
  // suites wait on fsync, sockets and child processes, so two at a time take 6 instead of 9 minutes.
  maxWorkers: Math.max(2, require('node:os').availableParallelism()),
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
    '^.+\\.m?js$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(?:${esmOnly.join('|')})/)(?!.*/node_modules/)`],
};
