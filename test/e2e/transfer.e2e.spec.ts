/**
 * Acceptance, transfer (issue 4), over HTTP against the running service with the demo soft HSMs on
 * Unix sockets: a hashsig key moved hsm-a → hsm-b under a KEKEK generated on hsm-b keeps disjoint
 * index ranges on the two HSMs; every signature from either verifies with the one RFC 8554 public
 * key (independent verifier); the ledger records the KEKEK's provenance.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rfc8554Verify } from '../hashsig/rfc8554-verify';
import { startService, type KeyJson, type Service } from '../api/support/service';

interface Signed {
  hsm: string;
  q: number;
  data: Buffer;
  signature: Buffer;
}

describe('hashsig transfer hsm-a → hsm-b (HTTP)', () => {
  let svc: Service;

  beforeAll(async () => {
    svc = await startService();
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
  });

  it('keeps disjoint index ranges, verifies every signature with the one public key, and records the KEKEK provenance', async () => {
    const key = await svc.json<KeyJson>('POST', '/v1/keys', {
      hsm: 'hsm-a',
      type: 'hashsig',
      levels: 1,
      lms: 'H5',
      lmots: 'W8',
      label: 'transfer-e2e',
    });
    const publicKey = Buffer.from(key.publicKeyRfc8554!, 'base64');
    const signatures: Signed[] = [];
    const signOn = async (hsm: string, n: number) => {
      for (let i = 0; i < n; i++) {
        const data = randomBytes(33);
        const s = await svc.json<{ signature: string; hsm: string; q: number }>(
          'POST',
          `/v1/keys/${key.keyId}/sign`,
          {
            data: data.toString('base64'),
            hsm,
          },
        );
        expect(s.hsm).toBe(hsm);
        const signature = Buffer.from(s.signature, 'base64');
        // HSS L = 1: u32str(Nspk = 0) || LMS signature starting with u32str(q).
        expect(signature.readUInt32BE(0)).toBe(0);
        expect(signature.readUInt32BE(4)).toBe(s.q);
        signatures.push({ hsm: s.hsm, q: s.q, data, signature });
      }
    };

    await signOn('hsm-a', 2);
    const moved = await svc.json<
      Omit<KeyJson, 'holders'> & {
        holders: { copyId: string; hsm?: string; kind: string }[];
        openOperations: unknown[];
      }
    >('POST', `/v1/keys/${key.keyId}/transfer`, { from: 'hsm-a', to: 'hsm-b' });
    expect(moved.holders.map((h) => `${h.kind}:${h.hsm}`).sort()).toEqual(['hsm:hsm-a', 'hsm:hsm-b']);
    // Two copies, one live holder each.
    expect(new Set(moved.holders.map((h) => h.copyId)).size).toBe(2);
    expect(moved.openOperations).toEqual([]);
    expect(moved.publicKeyRfc8554).toBe(key.publicKeyRfc8554);

    // Interleave signing on both HSMs.
    await signOn('hsm-b', 2);
    await signOn('hsm-a', 2);
    await signOn('hsm-b', 2);
    await signOn('hsm-a', 1);

    for (const s of signatures)
      expect({ q: s.q, hsm: s.hsm, ok: rfc8554Verify(publicKey, s.data, s.signature) }).toEqual({
        q: s.q,
        hsm: s.hsm,
        ok: true,
      });
    const qa = signatures.filter((s) => s.hsm === 'hsm-a').map((s) => s.q);
    const qb = signatures.filter((s) => s.hsm === 'hsm-b').map((s) => s.q);
    expect(new Set([...qa, ...qb]).size).toBe(qa.length + qb.length);
    // Disjoint ranges: every index a used lies below every index b used (or the reverse).
    const disjoint = Math.max(...qa) < Math.min(...qb) || Math.max(...qb) < Math.min(...qa);
    expect({ qa, qb, disjoint }).toEqual({ qa, qb, disjoint: true });
    // Each HSM's indices increase.
    for (const qs of [qa, qb]) expect([...qs].sort((x, y) => x - y)).toEqual(qs);

    const view = await svc.json<KeyJson>('GET', `/v1/keys/${key.keyId}`);
    expect(view.hashsig).toEqual(expect.objectContaining({ signatures: signatures.length }));

    // The KEKEK's provenance: generated on hsm-b, its name, the SHA-256 of its SPKI.
    const hsmB = await svc.json<{ hsmId: string; name: string }>('GET', '/v1/hsms/hsm-b');
    const events = await svc.json<{ type: string; data: Record<string, unknown> }[]>(
      'GET',
      `/v1/keys/${key.keyId}/events`,
    );
    const kekek = events.find((e) => e.type === 'KekekGenerated');
    expect(kekek?.data).toEqual(
      expect.objectContaining({
        hsmId: hsmB.hsmId,
        kekekName: expect.stringMatching(/\S/),
        spkiSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    );
    expect(events.map((e) => e.type).filter((t) => t.startsWith('Key') || t.startsWith('Kekek'))).toEqual([
      'KeyGenerated',
      'KeyTransferPrepared',
      'KekekGenerated',
      'KeyTransferStarted',
      'KeyTransitExported',
      'KeyTransitImported',
    ]);
    // The transit blob in the ledger is what the KEKEK wrapped; its hash is recorded with the export.
    const exported = events.find((e) => e.type === 'KeyTransitExported')!.data as {
      transitBlobSha256: string;
    };
    const transit = await svc.json<{ sha256: string; keyId: string; blob: string }>(
      'GET',
      `/v1/blobs/${exported.transitBlobSha256}`,
    );
    expect(transit.keyId).toBe(key.keyId);
    expect(createHash('sha256').update(Buffer.from(transit.blob, 'base64')).digest('hex')).toBe(
      exported.transitBlobSha256,
    );

    // Both HSMs hold exactly what the ledger says.
    for (const hsm of ['hsm-a', 'hsm-b']) {
      const report = await svc.json<{ drift: unknown[] }>('POST', `/v1/hsms/${hsm}/reconcile`);
      expect({ hsm, drift: report.drift }).toEqual({ hsm, drift: [] });
    }
  }, 60_000);
});
