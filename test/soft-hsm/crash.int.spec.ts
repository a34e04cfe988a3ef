/**
 * kill -9 of a process signing with a hashsig key, at random moments: the keystore must open
 * afterwards, and the next signature's leaf must be past every leaf acknowledged before the kill
 * (docs/libhal-rpc.md §7.3: q is persisted before a signature is returned).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { LmotsType, LmsType } from '../../src/hsm-adapter/constants';
import { hashsigSpkiToRfc8554 } from '../../src/lib/spki';
import { hssSignatureIndexPath } from '../../src/lib/rfc8554';
import { tsChildArgs } from '../support/children-build';
import { REPO_ROOT } from '../support/cli';
import { within } from '../support/within';
import { DS, TOKEN, freshHsm, login, type Fresh } from './support';

const SIGNER = path.join(__dirname, 'fixtures', 'hashsig-signer.ts');

/** Runs the signer until it has acknowledged at least `minAcks` leaves plus a random extra delay, then SIGKILLs it. */
function signAndKill(stateDir: string, nameHex: string, minAcks: number, extraMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...tsChildArgs(SIGNER), stateDir, nameHex], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    const acks = () =>
      out
        .split('\n')
        .filter((l) => /^\d+$/.test(l))
        .map(Number);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (timer === undefined && acks().length >= minAcks)
        timer = setTimeout(() => child.kill('SIGKILL'), extraMs);
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL')
        reject(new Error(`signer ended with ${code ?? signal} before the kill: ${err}`));
      // Only complete lines are acknowledgements: a leaf printed half-way was not "returned".
      else resolve(out.endsWith('\n') ? acks() : acks().slice(0, -1));
    });
  });
}

describe('soft HSM under kill -9', () => {
  let f: Fresh;
  afterEach(() => f.cleanup());

  it('never reuses an acknowledged hashsig leaf across SIGKILLs', async () => {
    f = await freshHsm();
    await login(f.hsm, 1);
    const { pkey, name } = f.hsm.pkeyGenerateHashsig(1, {
      session: 0,
      hssLevels: 1,
      lmsType: LmsType.SHA256_N32_H10,
      lmotsType: LmotsType.SHA256_N32_W2, // H10/W2: fast keygen, so each child rebuilds its tree quickly
      flags: DS | TOKEN,
    });
    const pub = hashsigSpkiToRfc8554(f.hsm.pkeyGetPublicKey(1, { pkey, derMax: 200 }).der);
    f.hsm.close();

    const acknowledged: number[] = [];
    for (const extraMs of [0, 7, 23]) {
      const acks = await within(60_000, 'signer run', signAndKill(f.dir, name.toString('hex'), 3, extraMs));
      expect(acks.length).toBeGreaterThanOrEqual(3);
      acknowledged.push(...acks);
    }
    expect(new Set(acknowledged).size).toBe(acknowledged.length);

    f.reopen();
    await login(f.hsm, 1);
    const again = f.hsm.pkeyOpen(1, { session: 0, name }).pkey;
    const next = f.hsm.pkeySign(1, {
      pkey: again,
      hash: 0,
      input: Buffer.from('after'),
      sigMax: 16384,
    }).signature;
    expect(hssSignatureIndexPath(pub, next)[0].q).toBeGreaterThan(Math.max(...acknowledged));
  });
});
