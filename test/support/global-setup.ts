import { BUILD_ENV, buildChildren } from './children-build';

/** Jest global set-up: one JavaScript build of src/ for the run's child processes (children-build.ts). */
export default async function globalSetup(): Promise<void> {
  process.env[BUILD_ENV] = await buildChildren();
}
