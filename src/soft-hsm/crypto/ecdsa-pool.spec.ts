import { createHash, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import type { EcCurveName } from '../../lib/spki';
import { curveOrder, ecdsaSignWithNonces } from './ecdsa';
import { EcdsaNoncePool } from './ecdsa-pool';

const OPENSSL = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' } as const;

/** A reproducible RNG (SHA-256 in counter mode). */
function seededRng(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = Buffer.alloc(n);
    for (let at = 0; at < n; at += 32)
      createHash('sha256').update(`${seed}/${counter++}`).digest().copy(out, at);
    return out;
  };
}

describe.each(['P-256', 'P-384', 'P-521'] as EcCurveName[])(
  'ECDSA with precomputed nonces on %s',
  (curve) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: OPENSSL[curve] });
    const d = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');

    it('signs so that node:crypto verifies every signature (ieee-p1363)', () => {
      const pool = new EcdsaNoncePool(curve, (n) => randomBytes(n), { background: false, batch: 7 });
      for (let i = 0; i < 25; i++) {
        const message = randomBytes(40 + i);
        const digest = createHash('sha256').update(message).digest();
        const signature = ecdsaSignWithNonces(curve, d, digest, () => pool.take());
        expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(
          true,
        );
      }
      pool.close();
    });

    it('never hands out the same nonce twice, even from an RNG that repeats itself', () => {
      const stuck = (n: number) => new Uint8Array(n).fill(0x5a);
      const pool = new EcdsaNoncePool(curve, stuck, { background: false, capacity: 64, batch: 16 });
      const seen = new Set<string>();
      for (let i = 0; i < 200; i++) {
        const { r, kinv } = pool.take();
        expect(r > 0n && r < curveOrder(curve)).toBe(true);
        expect(kinv > 0n && kinv < curveOrder(curve)).toBe(true);
        expect(seen.has(`${r}`)).toBe(false);
        seen.add(`${r}`);
      }
      pool.close();
    });
  },
);

describe('EcdsaNoncePool', () => {
  it('gives r = x(k·G) with k⁻¹ matching: two signatures by one nonce reveal nothing unexpected', () => {
    // s1 − s2 = k⁻¹(e1 − e2): checks kinv is the inverse of the k behind r.
    const pool = new EcdsaNoncePool('P-256', (n) => randomBytes(n), { background: false, batch: 5 });
    const n = curveOrder('P-256');
    const d = Buffer.alloc(32, 0);
    d[31] = 7;
    const nonce = pool.take();
    const digests = [randomBytes(32), randomBytes(32)];
    const [s1, s2] = digests.map((dg) =>
      BigInt(
        '0x' + Buffer.from(ecdsaSignWithNonces('P-256', d, dg, () => nonce).subarray(32)).toString('hex'),
      ),
    );
    const [e1, e2] = digests.map((dg) => BigInt('0x' + dg.toString('hex')));
    expect((((s1 - s2 - nonce.kinv * (e1 - e2)) % n) + n) % n).toBe(0n);
    pool.close();
  });

  it('is reproducible from a seeded RNG', () => {
    const take = () => {
      const pool = new EcdsaNoncePool('P-384', seededRng('pool'), { background: false, batch: 4 });
      const out = [pool.take(), pool.take(), pool.take()].map((t) => `${t.r}:${t.kinv}`);
      pool.close();
      return out;
    };
    expect(take()).toEqual(take());
  });

  it('refills in the background up to its capacity, and stops when closed', async () => {
    const pool = new EcdsaNoncePool('P-256', (n) => randomBytes(n), { capacity: 40, batch: 8 });
    pool.take();
    for (let i = 0; i < 20 && pool.size < 40; i++) await new Promise((r) => setImmediate(r));
    expect(pool.size).toBe(40);
    pool.close();
    expect(pool.size).toBe(0);
    expect(() => pool.take()).toThrow(/closed/);
  });

  it('fills synchronously on demand', () => {
    const pool = new EcdsaNoncePool('P-521', (n) => randomBytes(n), { capacity: 10, background: false });
    pool.fill();
    expect(pool.size).toBe(10);
    pool.close();
  });
});

describe('EcdsaNoncePool on a worker thread', () => {
  it('refills from the worker, and its nonces make signatures node:crypto verifies', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const d = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
    const log: string[] = [];
    const pool = new EcdsaNoncePool('P-256', (n) => randomBytes(n), {
      capacity: 63, // the one batch taken here and three from the worker
      batch: 16,
      worker: true,
      log: (line) => log.push(line),
    });
    pool.take(); // computes one batch here and asks the worker for the rest
    expect(pool.size).toBe(15);
    for (let i = 0; i < 400 && pool.size < 63; i++) await new Promise((r) => setTimeout(r, 25));
    expect(log).toEqual([]);
    expect(pool.size).toBe(63);
    const seen = new Set<string>();
    for (let i = 0; i < 63; i++) {
      const message = randomBytes(32 + i);
      const digest = createHash('sha256').update(message).digest();
      const signature = ecdsaSignWithNonces('P-256', d, digest, () => {
        const nonce = pool.take();
        seen.add(`${nonce.r}`);
        return nonce;
      });
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    }
    expect(seen.size).toBe(63);
    pool.close();
    expect(pool.size).toBe(0);
  }, 30_000);

  it('gives the same tuples on the worker as on the calling thread for the same RNG', async () => {
    const batches = async (worker: boolean) => {
      const pool = new EcdsaNoncePool('P-256', seededRng('same'), { capacity: 24, batch: 8, worker });
      if (!worker) pool.fill();
      else {
        pool.take(); // batch 0 here; batches 1 and 2 from the worker
        for (let i = 0; i < 400 && pool.size < 23; i++) await new Promise((r) => setTimeout(r, 25));
      }
      const out: string[] = [];
      while (pool.size > 0) out.push(`${pool.take().r}`);
      pool.close();
      return new Set(out);
    };
    const here = await batches(false);
    const there = await batches(true);
    // The worker pool handed one tuple of batch 0 out already; every other one is in both.
    expect(there.size).toBe(23);
    for (const r of there) expect(here.has(r)).toBe(true);
  }, 30_000);

  it('goes on refilling on the calling thread when the worker dies', async () => {
    const log: string[] = [];
    const pool = new EcdsaNoncePool('P-256', (n) => randomBytes(n), {
      capacity: 48,
      batch: 16,
      worker: true,
      log: (line) => log.push(line),
    });
    pool.take();
    const worker = (pool as unknown as { worker: { terminate(): Promise<number> } }).worker;
    await worker.terminate();
    for (let i = 0; i < 200 && pool.size < 48; i++) await new Promise((r) => setTimeout(r, 10));
    expect(log).toEqual([
      expect.stringMatching(
        /ECDSA nonce worker failed \(exited with code \d+\); precomputing on the main thread/,
      ),
    ]);
    expect(pool.size).toBe(48);
    pool.close();
  }, 30_000);
});
