/** Helpers shared by the soft HSM integration specs. */
import { createHash } from 'node:crypto';
import { KeyFlag, User } from '../../src/hsm-adapter/constants';
import { createSoftHsmState, SoftHsm, type SoftHsmOptions } from '../../src/soft-hsm';
import type { RandomSource } from '../../src/soft-hsm/options';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

export const PIN = 'fnord';
export const { USAGE_DIGITALSIGNATURE: DS, USAGE_KEYENCIPHERMENT: KE, TOKEN, PUBLIC, EXPORTABLE } = KeyFlag;
export { User };

/** Deterministic bytes: SHA-256(seed ‖ counter) blocks. */
export function seededRng(seed: string): RandomSource {
  let counter = 0;
  return (n) => {
    const out = Buffer.alloc(n);
    for (let off = 0; off < n; off += 32) {
      const block = createHash('sha256').update(seed).update(String(counter++)).digest();
      block.copy(out, off, 0, Math.min(32, n - off));
    }
    return out;
  };
}

export const KEK_A = Buffer.alloc(32, 0xa1);
export const KEK_B = Buffer.alloc(32, 0xb2);

export interface Fresh {
  dir: string;
  hsm: SoftHsm;
  reopen(options?: SoftHsmOptions): SoftHsm;
  cleanup(): Promise<void>;
}

/** A new state directory (PINs `fnord` unless `pin: null`) and the engine opened on it. */
export async function freshHsm(
  init: { pin?: string | null; kek?: Buffer; seed?: string } = {},
  options: SoftHsmOptions = {},
): Promise<Fresh> {
  const dir = await makeTempDir('soft-hsm-');
  const rng = seededRng(init.seed ?? 'soft-hsm');
  createSoftHsmState(dir, {
    kek: init.kek ?? KEK_A,
    pin: init.pin === null ? undefined : (init.pin ?? PIN),
    rng,
  });
  const open = (o: SoftHsmOptions) => SoftHsm.open(dir, { pinDelayMs: 0, rng, ...o });
  const fresh: Fresh = {
    dir,
    hsm: open(options),
    reopen(o = options) {
      fresh.hsm.close();
      fresh.hsm = open(o);
      return fresh.hsm;
    },
    async cleanup() {
      fresh.hsm.close();
      await removeTempDir(dir);
    },
  };
  return fresh;
}

export async function login(
  hsm: SoftHsm,
  client: number,
  user: number = User.NORMAL,
  pin = PIN,
): Promise<void> {
  await hsm.login(client, { user, pin: Buffer.from(pin) });
}

/** Runs `fn` and returns the libhal status name it failed with (or 'OK'). */
export async function statusOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return 'OK';
  } catch (error) {
    const e = error as { kind?: string; status?: string };
    if (e.kind !== 'status') throw error;
    return e.status!;
  }
}

export const ZERO_UUID = Buffer.alloc(16);
