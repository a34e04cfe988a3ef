/**
 * Acceptance, stale hashsig state is refused (issue 4), over HTTP against the running service with
 * the demo soft HSMs on Unix sockets: a hashsig key is exported, imported and used; then its
 * earlier blob is refused, by `raw-import` and when handed in with `POST /v1/blobs`, with a 409
 * problem+json naming the current holder; and of two concurrent imports of the current blob onto
 * hsm-a and hsm-b exactly one succeeds.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rfc8554Verify } from '../hashsig/rfc8554-verify';
import { expectProblem, startService, type KeyJson, type Service } from '../api/support/service';

const b64 = (bytes: Buffer) => bytes.toString('base64');

interface KeyView extends KeyJson {
  holders: (KeyJson['holders'][number] & { copyId: string })[];
  openOperations: unknown[];
}

describe('stale hashsig state is refused (HTTP)', () => {
  let svc: Service;

  beforeAll(async () => {
    svc = await startService();
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
  });

  const getKey = (keyId: string) => svc.json<KeyView>('GET', `/v1/keys/${keyId}`);
  const sign = async (key: KeyJson, hsm?: string) => {
    const data = randomBytes(40);
    const signed = await svc.json<{ signature: string; hsm: string; q: number }>(
      'POST',
      `/v1/keys/${key.keyId}/sign`,
      {
        data: b64(data),
        ...(hsm === undefined ? {} : { hsm }),
      },
    );
    const signature = Buffer.from(signed.signature, 'base64');
    expect(rfc8554Verify(Buffer.from(key.publicKeyRfc8554!, 'base64'), data, signature)).toBe(true);
    // HSS with L = 1: u32str(Nspk = 0) || LMS signature, whose first field is u32str(q).
    expect(signature.readUInt32BE(4)).toBe(signed.q);
    return signed;
  };

  it('refuses the earlier blob by import and by hand-in naming the current holder; one of two concurrent imports wins', async () => {
    const key = await svc.json<KeyJson>('POST', '/v1/keys', {
      hsm: 'hsm-a',
      type: 'hashsig',
      levels: 1,
      lms: 'H5',
      lmots: 'W8',
      label: 'stale-e2e',
    });
    const first = await sign(key);

    // Export: the whole copy moves into the blob.
    const { blobSha256: earlier } = await svc.json<{ blobSha256: string }>(
      'POST',
      `/v1/keys/${key.keyId}/raw-export`,
      {
        hsm: 'hsm-a',
      },
    );
    expect((await getKey(key.keyId)).holders).toEqual([
      expect.objectContaining({ kind: 'blob', blobSha256: earlier }),
    ]);
    const earlierBytes = (await svc.json<{ blob: string }>('GET', `/v1/blobs/${earlier}`)).blob;
    expect(createHash('sha256').update(Buffer.from(earlierBytes, 'base64')).digest('hex')).toBe(earlier);

    // Import (hsm-a deleted its disabled copy in the export) and sign: the key lives on hsm-a again.
    const imported = await svc.json<{ hsm: string; blobSha256: string }>(
      'POST',
      `/v1/keys/${key.keyId}/raw-import`,
      {
        hsm: 'hsm-a',
      },
    );
    expect(imported).toEqual(expect.objectContaining({ hsm: 'hsm-a', blobSha256: earlier }));
    const afterImport = await sign(key);
    expect(afterImport.hsm).toBe('hsm-a');
    expect(afterImport.q).toBeGreaterThan(first.q);
    const live = await getKey(key.keyId);
    expect(live.holders).toEqual([expect.objectContaining({ kind: 'hsm', hsm: 'hsm-a' })]);
    expect(live.blobs.find((b) => b.sha256 === earlier)?.status).not.toBe('current');

    // The earlier blob by API, onto the other HSM: 409 naming hsm-a, ledger unchanged.
    let before = await svc.position();
    const byApi = await expectProblem(
      await svc.call('POST', `/v1/keys/${key.keyId}/raw-import`, { hsm: 'hsm-b', blobSha256: earlier }),
      409,
    );
    expect(byApi.detail).toContain(earlier.slice(0, 8));
    // The holder is named by the HSM's name an operator knows (with its id).
    const hsmA = await svc.json<{ hsmId: string; name: string }>('GET', '/v1/hsms/hsm-a');
    const namesHsmA = new RegExp(`hsm-a|${hsmA.hsmId}`);
    expect(byApi.detail).toContain(`held by hsm-a (${hsmA.hsmId})`);
    expect(await svc.position()).toBe(before);

    // The earlier blob handed in from outside: 409 naming the current holder; the refusal is recorded.
    const handedIn = await expectProblem(
      await svc.call('POST', '/v1/blobs', { keyId: key.keyId, blob: earlierBytes }),
      409,
    );
    expect(handedIn).toEqual(expect.objectContaining({ sha256: earlier, keyId: key.keyId }));
    expect(handedIn.detail).toContain(earlier);
    expect(handedIn.currentHolder).toEqual(expect.stringMatching(namesHsmA));
    expect(handedIn.detail).toContain(String(handedIn.currentHolder));
    expect(await svc.position()).toBeGreaterThan(before);

    // Export again: the copy is in the new current blob; the earlier one is still refused, naming it.
    const { blobSha256: current } = await svc.json<{ blobSha256: string }>(
      'POST',
      `/v1/keys/${key.keyId}/raw-export`,
      {
        hsm: 'hsm-a',
      },
    );
    expect(current).not.toBe(earlier);
    before = await svc.position();
    const stale = await expectProblem(
      await svc.call('POST', `/v1/keys/${key.keyId}/raw-import`, { hsm: 'hsm-b', blobSha256: earlier }),
      409,
    );
    expect(stale.detail).toContain(current.slice(0, 8));
    expect(await svc.position()).toBe(before);
    const staleHandedIn = await expectProblem(
      await svc.call('POST', '/v1/blobs', { keyId: key.keyId, blob: earlierBytes }),
      409,
    );
    expect(staleHandedIn).toEqual(expect.objectContaining({ currentBlob: current }));
    expect(staleHandedIn.detail).toContain(current);
    // The current blob handed in is accepted.
    const currentBytes = (await svc.json<{ blob: string }>('GET', `/v1/blobs/${current}`)).blob;
    expect(await svc.json('POST', '/v1/blobs', { keyId: key.keyId, blob: currentBytes })).toEqual({
      sha256: current,
      keyId: key.keyId,
      accepted: true,
    });

    // The current blob imported on both HSMs at once: exactly one 2xx.
    const responses = await Promise.all(
      ['hsm-a', 'hsm-b'].map((hsm) => svc.call('POST', `/v1/keys/${key.keyId}/raw-import`, { hsm })),
    );
    const won = responses.filter((r) => r.ok);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = (await won[0]!.json()) as { hsm: string; blobSha256: string };
    expect(winner.blobSha256).toBe(current);
    const loser = await expectProblem(
      responses.find((r) => !r.ok)!,
      409,
    );
    expect(loser.detail.length).toBeGreaterThan(20);

    const after = await getKey(key.keyId);
    expect(after.openOperations).toEqual([]);
    expect(after.holders).toEqual([expect.objectContaining({ kind: 'hsm', hsm: winner.hsm })]);
    const last = await sign(key);
    expect(last.hsm).toBe(winner.hsm);
    expect(last.q).toBeGreaterThan(afterImport.q);
    // The loser's HSM holds nothing of the key.
    const loserHsm = winner.hsm === 'hsm-a' ? 'hsm-b' : 'hsm-a';
    const residency = await svc.json<{ keys: Record<string, unknown> }>('GET', `/v1/hsms/${loserHsm}/keys`);
    expect(residency.keys[key.keyId]).toBeUndefined();
    const reconcile = await svc.json<{ drift: unknown[] }>('POST', `/v1/hsms/${loserHsm}/reconcile`);
    expect(reconcile.drift).toEqual([]);
  }, 60_000);
});
