/**
 * Acceptance, disaster recovery (issue 4), over HTTP against the running service with soft HSMs on
 * Unix sockets. The service runs without its demo HSMs: this test starts hsm-a and hsm-b itself
 * (one known master KEK, as an operator's KEK backup would hold it), registers them and builds the
 * KEK domain over HTTP, so it can stop hsm-a, zeroize it and re-enter the KEK.
 *
 * Keys of all three types are raw-exported; hsm-a is zeroized; the KEK is re-entered; the service
 * is told (`POST /v1/hsms/hsm-a/zeroized`); hsm-a joins its KEK domain again by the canary; every
 * key's current blob is imported; RSA/EC signatures verify with the original public keys
 * (node:crypto) and the hashsig key signs with indices never used before.
 */
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { enterMasterKek, zeroizeSoftHsm } from '../../src/soft-hsm';
import { KEK_1, PIN, startHsm, type TestHsm } from '../custody/support';
import { rfc8554Verify } from '../hashsig/rfc8554-verify';
import { expectProblem, startService, type KeyJson, type Service } from '../api/support/service';

interface HsmJson {
  hsmId: string;
  name: string;
  status: string;
  kekDomainId: string | null;
  residentKeys: number;
}

function verifies(key: KeyJson, data: Buffer, signature: Buffer): boolean {
  if (key.type === 'hashsig')
    return rfc8554Verify(Buffer.from(key.publicKeyRfc8554!, 'base64'), data, signature);
  const publicKey = createPublicKey({
    key: Buffer.from(key.publicKey, 'base64'),
    format: 'der',
    type: 'spki',
  });
  return key.type === 'ec'
    ? verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)
    : verify('sha256', data, publicKey, signature);
}

describe('disaster recovery of a zeroized HSM (HTTP)', () => {
  let svc: Service;
  let hsmDir: string;
  let hsms: TestHsm[] = [];
  let domainId: string;

  beforeAll(async () => {
    svc = await startService({ demo: false, prefix: 'kl-dr-' });
    hsmDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-drh-'));
    hsms = [await startHsm(hsmDir, 'hsm-a', { kek: KEK_1 }), await startHsm(hsmDir, 'hsm-b', { kek: KEK_1 })];
    for (const h of hsms) {
      const registered = await svc.call('POST', '/v1/hsms', { name: h.name, endpoint: h.endpoint, pin: PIN });
      expect(registered.status).toBe(201);
    }
    const domain = await svc.json<{ kekDomainId: string }>('POST', '/v1/kek-domains', {
      name: 'dr',
      hsm: 'hsm-a',
    });
    domainId = domain.kekDomainId;
    await svc.json('POST', `/v1/kek-domains/${domainId}/members`, { hsm: 'hsm-b' });
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    for (const h of hsms) await h.stop().catch(() => undefined);
    if (hsmDir) fs.rmSync(hsmDir, { recursive: true, force: true });
  });

  it('recovers rsa, ec and hashsig keys onto hsm-a after zeroization, KEK re-entry and rejoining by canary', async () => {
    const keys = [
      await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'rsa', bits: 1024, label: 'dr-rsa' }),
      await svc.json<KeyJson>('POST', '/v1/keys', {
        hsm: 'hsm-a',
        type: 'ec',
        curve: 'P-256',
        label: 'dr-ec',
      }),
      await svc.json<KeyJson>('POST', '/v1/keys', {
        hsm: 'hsm-a',
        type: 'hashsig',
        levels: 1,
        lms: 'H5',
        lmots: 'W8',
        label: 'dr-hashsig',
      }),
    ];
    const hashsigKey = keys[2]!;
    const sign = async (key: KeyJson) => {
      const data = randomBytes(50);
      const s = await svc.json<{ signature: string; hsm: string; q?: number }>(
        'POST',
        `/v1/keys/${key.keyId}/sign`,
        {
          data: data.toString('base64'),
        },
      );
      const signature = Buffer.from(s.signature, 'base64');
      expect({ type: key.type, verified: verifies(key, data, signature) }).toEqual({
        type: key.type,
        verified: true,
      });
      return { ...s, signature };
    };

    // Every q the hashsig key has used before the disaster.
    const usedBefore = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const s = await sign(hashsigKey);
      expect(s.signature.readUInt32BE(4)).toBe(s.q);
      usedBefore.add(s.q!);
    }
    for (const k of keys.slice(0, 2)) await sign(k);

    const blobs = new Map<string, string>();
    for (const k of keys) {
      const { blobSha256 } = await svc.json<{ blobSha256: string }>(
        'POST',
        `/v1/keys/${k.keyId}/raw-export`,
        { hsm: 'hsm-a' },
      );
      blobs.set(k.keyId, blobSha256);
    }

    // The disaster: hsm-a is zeroized (keys and master KEK gone); the operator re-enters the KEK.
    const a = hsms[0]!;
    await a.stop();
    zeroizeSoftHsm(a.stateDir);
    enterMasterKek(a.stateDir, KEK_1);
    await a.start();

    const zeroized = await svc.json<HsmJson>('POST', '/v1/hsms/hsm-a/zeroized');
    expect(zeroized).toEqual(
      expect.objectContaining({ name: 'hsm-a', status: 'zeroized', kekDomainId: null, residentKeys: 0 }),
    );
    for (const k of keys) {
      const view = await svc.json<KeyJson>('GET', `/v1/keys/${k.keyId}`);
      expect(view.holders).toEqual([
        expect.objectContaining({ kind: 'blob', blobSha256: blobs.get(k.keyId) }),
      ]);
      expect(view.currentBlob).toBe(blobs.get(k.keyId));
    }

    // Until it proves the KEK again, hsm-a is in no KEK domain: an import is refused.
    const before = await svc.position();
    const refused = await expectProblem(
      await svc.call('POST', `/v1/keys/${keys[0]!.keyId}/raw-import`, { hsm: 'hsm-a' }),
      409,
    );
    expect(refused.detail).toMatch(/KEK domain/i);
    expect(await svc.position()).toBe(before);

    // Rejoin by canary.
    const joined = await svc.json<{ kekDomainId: string; members: string[] }>(
      'POST',
      `/v1/kek-domains/${domainId}/members`,
      {
        hsm: 'hsm-a',
      },
    );
    expect(joined.members).toContain(zeroized.hsmId);
    expect((await svc.json<HsmJson>('GET', '/v1/hsms/hsm-a')).kekDomainId).toBe(domainId);

    // Every key's current blob comes back; each signs with its original public key.
    for (const k of keys) {
      const imported = await svc.json<{ hsm: string; blobSha256: string }>(
        'POST',
        `/v1/keys/${k.keyId}/raw-import`,
        { hsm: 'hsm-a' },
      );
      expect(imported).toEqual(expect.objectContaining({ hsm: 'hsm-a', blobSha256: blobs.get(k.keyId) }));
      const view = await svc.json<KeyJson>('GET', `/v1/keys/${k.keyId}`);
      expect(view.publicKey).toBe(k.publicKey);
    }
    for (const k of keys.slice(0, 2)) {
      const s = await sign(k);
      expect(s.hsm).toBe('hsm-a');
    }
    const usedAfter: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await sign(hashsigKey);
      expect(s.hsm).toBe('hsm-a');
      expect(s.signature.readUInt32BE(4)).toBe(s.q);
      usedAfter.push(s.q!);
    }
    expect({ reused: usedAfter.filter((q) => usedBefore.has(q)) }).toEqual({ reused: [] });
    expect(Math.min(...usedAfter)).toBeGreaterThan(Math.max(...usedBefore));
    expect(new Set(usedAfter).size).toBe(usedAfter.length);

    // The ledger and hsm-a agree; the hashsig usage counts every signature.
    const report = await svc.json<{ drift: unknown[] }>('POST', '/v1/hsms/hsm-a/reconcile');
    expect(report.drift).toEqual([]);
    const hashsigView = await svc.json<KeyJson>('GET', `/v1/keys/${hashsigKey.keyId}`);
    expect(hashsigView.hashsig).toEqual(expect.objectContaining({ signatures: 6, lastIndex: usedAfter[2] }));
  }, 120_000);
});
