import { hash, randomBytes } from 'node:crypto';
import { LmotsType, LmsType } from '../src/lib/rfc8554-params';
import {
  hashsigHashCounts,
  hssGenerateKey,
  hssPublicKey,
  hssSign,
  hssVerify,
  type HssKey,
} from '../src/soft-hsm/hashsig';
import type { Emit } from './run';
import { progress, round } from './util';

/** Seconds per call of `crypto.hash('sha256', x)` on a 55-byte input (a Winternitz chain step's size). */
export function nodeHashSecondsPerCall(calls = 1_000_000): number {
  const input = randomBytes(55);
  for (let i = 0; i < 10_000; i++) hash('sha256', input, 'buffer');
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    input[0] = i; // defeat any caching of identical inputs
    hash('sha256', input, 'buffer');
  }
  return Number(process.hrtime.bigint() - start) / 1e9 / calls;
}

/**
 * LMS/HSS of the software HSM, H10/W8, one level. Each figure's `ratio` is the time the RFC 8554 hash
 * count of the operation would take at crypto.hash's per-call speed, divided by the measured time.
 */
export function lmsBenchmarks(emit: Emit): void {
  const params = { levels: 1, lmsType: LmsType.H10, lmotsType: LmotsType.W8 };
  const counts = hashsigHashCounts(params);
  progress('crypto.hash sha256 on 55 bytes: 1,000,000 calls');
  const perHash = nodeHashSecondsPerCall();
  emit({ metric: 'node.crypto_hash_sha256_55b', value: Math.round(1 / perHash), unit: 'hashes/s' });

  progress('LMS keygen H10/W8');
  const rng = (n: number) => randomBytes(n);
  let start = process.hrtime.bigint();
  let key: HssKey = hssGenerateKey(params, { I: randomBytes(16), SEED: randomBytes(32) }, rng);
  const keygen = Number(process.hrtime.bigint() - start) / 1e9;
  emit({
    metric: 'hsm.lms.keygen_h10_w8',
    value: round(keygen),
    unit: 's',
    ratio: round((counts.keygen * perHash) / keygen),
    hashes: counts.keygen,
  });

  const message = randomBytes(64);
  const signatures: Uint8Array[] = [];
  const signs = 500;
  progress(`LMS sign H10/W8: ${signs} signatures`);
  start = process.hrtime.bigint();
  for (let i = 0; i < signs; i++) {
    const { signature, next } = hssSign(key, message, rng);
    signatures.push(signature);
    key = next;
  }
  const signSeconds = Number(process.hrtime.bigint() - start) / 1e9 / signs;
  emit({
    metric: 'hsm.lms.sign_h10_w8',
    value: Math.round(1 / signSeconds),
    unit: 'ops/s',
    ratio: round((counts.sign * perHash) / signSeconds),
    hashes: round(counts.sign, 1),
  });

  progress(`LMS verify H10/W8: ${signs} signatures`);
  const pub = hssPublicKey(key.state);
  start = process.hrtime.bigint();
  for (const signature of signatures) {
    if (!hssVerify(pub, message, signature))
      throw new Error('an LMS signature made in this run did not verify');
  }
  const verifySeconds = Number(process.hrtime.bigint() - start) / 1e9 / signs;
  emit({
    metric: 'hsm.lms.verify_h10_w8',
    value: Math.round(1 / verifySeconds),
    unit: 'ops/s',
    ratio: round((counts.verify * perHash) / verifySeconds),
    hashes: round(counts.verify, 1),
  });
}
