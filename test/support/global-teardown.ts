import * as fs from 'node:fs';
import { BUILD_ENV } from './children-build';

/** Jest global tear-down: removes the run's build of src/ (children-build.ts). */
export default function globalTeardown(): void {
  const build = process.env[BUILD_ENV];
  if (build) fs.rmSync(build, { recursive: true, force: true });
}
