/**
 * A JavaScript build of src/ and test/ for the child processes a jest run starts (`keyledger
 * serve`, the CLI, the suites' TypeScript fixtures). Started from the TypeScript source through
 * @swc-node/register, every child compiles every module it loads, about 0.3 s of CPU a start; the
 * suites start several hundred. Jest's global set-up compiles both trees once (spec files aside)
 * with the options of jest's own transform (jest.config.js), into test-artifacts/children-<pid>/
 * beside a copy of package.json (modules find package.json two levels up, as from dist/), and
 * removes it afterwards. Outside jest (`npm run soak`) children run from source as before.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { transformFile, type Options } from '@swc/core';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Set by the global set-up for the test workers: the build's root (holding src/ and package.json). */
export const BUILD_ENV = 'KEYLEDGER_TEST_CHILDREN_BUILD';

/** The trees compiled, relative to the repository. */
const TREES = ['src', 'test'];

/**
 * The `node` arguments that run a TypeScript file of the repository (`file` absolute or relative
 * to it): its compiled twin in the run's build if there is one, else the source through
 * @swc-node/register.
 */
export function tsChildArgs(file: string): string[] {
  const source = path.resolve(REPO_ROOT, file);
  const build = process.env[BUILD_ENV];
  const twin = build ? path.join(build, path.relative(REPO_ROOT, source).replace(/\.ts$/, '.js')) : '';
  if (twin !== '' && fs.existsSync(twin)) return [twin];
  return ['-r', '@swc-node/register', source];
}

/** The `node` arguments that run `src/<script>` (e.g. 'cli/main.ts'), as tsChildArgs. */
export function childScript(script: string): string[] {
  return tsChildArgs(path.join('src', script));
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [file] : [];
  });
}

/** jest.config.js's swc options for TypeScript, so children run what the suites import. */
function swcOptions(): Options {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require(path.join(REPO_ROOT, 'jest.config.js')) as {
    transform: Record<string, [string, Options]>;
  };
  const entry = Object.entries(config.transform).find(([pattern]) => pattern.includes('ts'));
  if (entry === undefined) throw new Error('jest.config.js has no TypeScript transform');
  return { ...entry[1][1], sourceMaps: 'inline', swcrc: false, configFile: false };
}

/** Compiles src/ and test/ into a fresh directory under test-artifacts/ and returns it. */
export async function buildChildren(): Promise<string> {
  const root = path.join(REPO_ROOT, 'test-artifacts', `children-${process.pid}`);
  fs.rmSync(root, { recursive: true, force: true });
  const options = swcOptions();
  const files = TREES.flatMap((tree) => sources(path.join(REPO_ROOT, tree)));
  await Promise.all(
    files.map(async (file) => {
      const { code } = await transformFile(file, { ...options, filename: file });
      const out = path.join(root, path.relative(REPO_ROOT, file).replace(/\.ts$/, '.js'));
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, code);
    }),
  );
  fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(root, 'package.json'));
  return root;
}
