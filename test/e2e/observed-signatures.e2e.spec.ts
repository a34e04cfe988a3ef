/**
 * Acceptance, observed signatures (issue 13), over HTTP against the running service with a soft
 * HSM the test owns, so that its state directory can be copied: a copy taken before a signature
 * is a second HSM holding the same hashsig state, which signs another message at the same index —
 * a genuine state reuse, made behind the ledger's back. `POST /v1/keys/{keyId}/observed-signatures`
 * accounts for the signature keyledger released, raises an alarm for the copy's signatures (same
 * index, another message; an index keyledger never released), freezes the key, and refuses what is
 * not a signature of the key with nothing recorded.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import vectors from '../vectors/rfc8554-appendix-f.json';
import { Hsm, User } from '../../src/hsm-adapter';
import { startSoftHsmServer, type SoftHsmServer } from '../../src/soft-hsm';
import { PIN, startHsm, type TestHsm } from '../custody/support';
import { rfc8554LeafIndices, rfc8554Verify } from '../hashsig/rfc8554-verify';
import { expectProblem, startService, type KeyJson, type Service } from '../api/support/service';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

interface KeyView extends KeyJson {
  params: { levels: number; I: string };
  holders: (KeyJson['holders'][number] & { hsmKeyName: string })[];
  frozen?: { at: string; rule: string; copyId: string | null; detail: string };
}

interface Observed {
  keyId: string;
  indexPath: { q: number; I: string }[];
  signatureSha256: string;
  outcome: 'released' | 'reused' | 'withheld' | 'unlogged';
  alarm: boolean;
  recorded: boolean;
  verified: boolean;
  detail: string;
  state: 'active' | 'frozen';
}

/** A second soft HSM started from a copy of hsm-a's state: the same keys, the same hashsig indices. */
interface Clone {
  sign(hsmKeyName: string, data: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

describe('observed hashsig signatures (HTTP)', () => {
  let svc: Service;
  let hsmDir: string;
  let hsm: TestHsm;
  let auditor: string;
  const clones: { server: SoftHsmServer; client: Hsm }[] = [];

  beforeAll(async () => {
    svc = await startService({ demo: false, prefix: 'kl-obs-' });
    hsmDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-obh-'));
    hsm = await startHsm(hsmDir, 'hsm-a');
    expect(
      (await svc.call('POST', '/v1/hsms', { name: 'hsm-a', endpoint: hsm.endpoint, pin: PIN })).status,
    ).toBe(201);
    const mona = await svc.call('POST', '/v1/operators', { name: 'mona', role: 'auditor' });
    expect(mona.status).toBe(201);
    auditor = ((await mona.json()) as { token: string }).token;
  }, 60_000);

  afterAll(async () => {
    for (const c of clones) {
      c.client.disconnect();
      await c.server.close().catch(() => undefined);
    }
    await svc?.close();
    await hsm?.stop().catch(() => undefined);
    if (hsmDir) fs.rmSync(hsmDir, { recursive: true, force: true });
  });

  const hashsigKey = async (levels = 1): Promise<KeyView> => {
    const created = await svc.json<KeyView>('POST', '/v1/keys', {
      hsm: 'hsm-a',
      type: 'hashsig',
      levels,
      lms: 'H5',
      lmots: 'W8',
    });
    return getKey(created.keyId);
  };
  const getKey = (keyId: string) => svc.json<KeyView>('GET', `/v1/keys/${keyId}`);
  const events = async (keyId: string) =>
    (
      await svc.json<{ type: string; data: Record<string, unknown> }[]>('GET', `/v1/keys/${keyId}/events`)
    ).filter((e) => e.type !== 'ApprovalRequested');
  const sign = async (key: KeyView, data: Buffer): Promise<Buffer> => {
    const signed = await svc.json<{ signature: string }>('POST', `/v1/keys/${key.keyId}/sign`, {
      data: b64(data),
    });
    return Buffer.from(signed.signature, 'base64');
  };
  const observe = (keyId: string, body: unknown, token?: string) =>
    svc.call(
      'POST',
      `/v1/keys/${keyId}/observed-signatures`,
      body,
      token === undefined ? {} : { auth: token },
    );
  const observed = async (keyId: string, body: unknown, token?: string): Promise<Observed> => {
    const response = await observe(keyId, body, token);
    const text = await response.text();
    if (response.status !== 200) throw new Error(`observed-signatures answered ${response.status}: ${text}`);
    return JSON.parse(text) as Observed;
  };

  /** Copies hsm-a's state now (the running server's lock file left out) and serves the copy. */
  const cloneHsmA = async (name: string): Promise<Clone> => {
    const stateDir = path.join(hsmDir, `${name}-state`);
    fs.cpSync(hsm.stateDir, stateDir, { recursive: true, filter: (src) => path.basename(src) !== 'lock' });
    const socketPath = path.join(hsmDir, `${name}.sock`);
    const server = await startSoftHsmServer({ stateDir, socketPath, capacity: 1000, pinDelayMs: 0 });
    const client = await Hsm.connect({
      endpoint: `unix:${socketPath}`,
      pin: PIN,
      user: User.NORMAL,
      poolSize: 1,
    });
    clones.push({ server, client });
    return {
      async sign(hsmKeyName, data) {
        const handle = await client.open(hsmKeyName);
        try {
          return await client.sign(handle, { data });
        } finally {
          await client.close(handle);
        }
      },
      close: async () => {
        client.disconnect();
        await server.close();
      },
    };
  };

  describe('a one-level key signed once through keyledger, and once more from a copy of its state', () => {
    let key: KeyView;
    let released: Buffer;
    let copied: Buffer;
    const messageA = Buffer.from('release 1.0.0 of the firmware');
    const messageB = Buffer.from('release 6.6.6 of the firmware (not from us)');

    beforeAll(async () => {
      key = await hashsigKey();
      const clone = await cloneHsmA('copy-1');
      released = await sign(key, messageA);
      copied = await clone.sign(key.holders[0]!.hsmKeyName, messageB);
      // A genuine signature of the key, at the index keyledger already released for messageA.
      const publicKey = Buffer.from(key.publicKeyRfc8554!, 'base64');
      expect(rfc8554Verify(publicKey, messageB, copied)).toBe(true);
      expect(rfc8554LeafIndices(released)).toEqual([0]);
      expect(rfc8554LeafIndices(copied)).toEqual([0]);
    }, 60_000);

    it('accounts for the signature keyledger released: 200 released, nothing recorded, no freeze', async () => {
      const before = await events(key.keyId);
      const known = await observed(key.keyId, { signature: b64(released) });
      expect(known).toEqual({
        keyId: key.keyId,
        indexPath: [{ q: 0, I: key.params.I }],
        signatureSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        outcome: 'released',
        alarm: false,
        recorded: false,
        verified: false,
        detail: expect.stringContaining('keyledger released it at index path 0, signed by hsm-a ('),
        state: 'active',
      });
      // With its message, by an auditor (a monitor): verified.
      const verified = await observed(
        key.keyId,
        { signature: b64(released), message: b64(messageA) },
        auditor,
      );
      expect(verified).toMatchObject({
        outcome: 'released',
        verified: true,
        recorded: false,
        state: 'active',
      });
      expect(await events(key.keyId)).toHaveLength(before.length);
      expect((await getKey(key.keyId)).state).toBe('active');
      expect((await getKey(key.keyId)).frozen).toBeUndefined();
    });

    it('refuses a signature that does not verify over the message it came with: 422, nothing recorded', async () => {
      const before = await events(key.keyId);
      const problem = await expectProblem(
        await observe(key.keyId, { signature: b64(copied), message: b64(messageA) }),
        422,
      );
      expect(problem.type).toBe('https://keyledger.dev/problems/observed-signature-rejected');
      expect(problem.detail).toContain(
        `the observed signature is not one of key ${key.keyId}: it does not verify`,
      );
      expect(problem.detail).toContain('nothing was recorded');
      expect(await events(key.keyId)).toHaveLength(before.length);
      expect((await getKey(key.keyId)).state).toBe('active');
    });

    it('raises a reuse alarm for the copy’s signature at the same index: recorded once, key frozen', async () => {
      const alarm = await observed(key.keyId, { signature: b64(copied), message: b64(messageB) }, auditor);
      expect(alarm).toEqual({
        keyId: key.keyId,
        indexPath: [{ q: 0, I: key.params.I }],
        signatureSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        outcome: 'reused',
        alarm: true,
        recorded: true,
        verified: true,
        detail: expect.stringContaining('index path 0 was released by hsm-a ('),
        state: 'frozen',
      });
      expect(alarm.detail).toContain('the one-time key at that index signed twice');

      // The same signature again (with or without its message): answered alike, not recorded again.
      const again = await observed(key.keyId, { signature: b64(copied) });
      expect(again).toMatchObject({ outcome: 'reused', alarm: true, recorded: false, state: 'frozen' });
      const recorded = (await events(key.keyId)).filter((e) => e.type === 'HashsigReuseObserved');
      expect(recorded).toHaveLength(1);
      expect(recorded[0]!.data).toMatchObject({
        keyId: key.keyId,
        copyId: 'c0',
        indexPath: [{ q: 0, I: key.params.I }],
        signatureSha256: alarm.signatureSha256,
        messageSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        outcome: 'reused',
        logged: [expect.objectContaining({ recordedAs: 'HashsigSignaturesReleased', copyId: 'c0' })],
        // The ledger names the HSM by id; the answer by name and id.
        detail: expect.stringContaining('the one-time key at that index signed twice'),
      });
    });

    it('shows the freeze and the alarm in the key view and the catalog, and refuses signing', async () => {
      const view = await getKey(key.keyId);
      expect(view.state).toBe('frozen');
      expect(view.frozen).toEqual({
        at: expect.any(String),
        rule: 'observed-reused',
        copyId: 'c0',
        detail: expect.stringContaining('observed in the wild: index path 0 was released'),
      });
      const listed = (await svc.json<KeyView[]>('GET', '/v1/keys')).find((k) => k.keyId === key.keyId)!;
      expect(listed.state).toBe('frozen');
      expect(listed.frozen?.rule).toBe('observed-reused');

      const refused = await expectProblem(
        await svc.call('POST', `/v1/keys/${key.keyId}/sign`, { data: b64(randomBytes(16)) }),
        409,
      );
      expect(refused.type).toBe('https://keyledger.dev/problems/key-frozen');
      expect(refused.detail).toContain('observed in the wild');

      const usage = await svc.json<{ keys: { keyId: string; reuseAlarms: number; state: string }[] }>(
        'GET',
        '/v1/reports/hashsig-usage',
      );
      expect(usage.keys.find((k) => k.keyId === key.keyId)).toMatchObject({
        reuseAlarms: 1,
        state: 'frozen',
      });
    });
  });

  describe('a one-level key whose copy signed indices keyledger never released', () => {
    it('raises an alarm for an index keyledger never used, without the message (unverified), and freezes', async () => {
      const key = await hashsigKey();
      const clone = await cloneHsmA('copy-2');
      const name = key.holders[0]!.hsmKeyName;
      await sign(key, Buffer.from('ours'));
      await clone.sign(name, Buffer.from('theirs, index 0'));
      const beyond = await clone.sign(name, Buffer.from('theirs, index 1'));
      expect(rfc8554LeafIndices(beyond)).toEqual([1]);

      const alarm = await observed(key.keyId, { signature: b64(beyond) }, auditor);
      expect(alarm).toMatchObject({
        indexPath: [{ q: 1, I: key.params.I }],
        outcome: 'unlogged',
        alarm: true,
        recorded: true,
        verified: false,
        state: 'frozen',
      });
      expect(alarm.detail).toContain(
        'keyledger never recorded index path 1 (copy c0 owns [0, 32), last used 0)',
      );
      expect(alarm.detail).toContain('(not verified: observed without its message)');
      const view = await getKey(key.keyId);
      expect(view).toMatchObject({ state: 'frozen', frozen: { rule: 'observed-unlogged', copyId: 'c0' } });
      await expectProblem(
        await svc.call('POST', `/v1/keys/${key.keyId}/sign`, { data: b64(randomBytes(8)) }),
        409,
      );
      await clone.close();
    }, 60_000);
  });

  describe('a two-level key', () => {
    it('accounts for its released signature and refuses one whose level-1 public key it did not sign', async () => {
      const key = await hashsigKey(2);
      const signature = await sign(key, Buffer.from('two levels'));
      const known = await observed(key.keyId, { signature: b64(signature) });
      expect(known).toMatchObject({ outcome: 'released', state: 'active' });
      expect(known.indexPath).toEqual([
        { q: 0, I: key.params.I },
        { q: 0, I: expect.stringMatching(/^[0-9a-f]{32}$/) },
      ]);

      // u32str(Nspk) || level-0 LMS signature (H5/W8: 4 + 1124 + 4 + 160 bytes) || level-1 public key.
      const tampered = Buffer.from(signature);
      tampered[4 + 4 + 1124 + 4 + 160 + 8] ^= 0x01; // a byte of the level-1 tree's I
      const problem = await expectProblem(await observe(key.keyId, { signature: b64(tampered) }), 422);
      expect(problem.detail).toMatch(
        /its level-1 public key \(I = [0-9a-f]{32}\) is not signed by level 0 of the key/,
      );
      expect((await getKey(key.keyId)).state).toBe('active');
    }, 60_000);
  });

  describe('what is refused', () => {
    let key: KeyView;
    let signature: Buffer;

    beforeAll(async () => {
      key = await hashsigKey();
      signature = await sign(key, Buffer.from('a message'));
    }, 60_000);

    it.each([
      ['no signature', {}, 'signature is required: the signature, standard base64'],
      ['a signature that is not base64', { signature: 'not base64!' }, 'signature must be standard base64'],
      ['URL-safe base64', { signature: 'AA-_' }, 'signature must be standard base64'],
      ['an empty signature', { signature: '' }, 'signature must be standard base64'],
      ['a signature over 49152 bytes', { signature: b64(Buffer.alloc(49153)) }, 'of 1 to 49152 bytes'],
      [
        'a message that is not base64',
        { signature: 'AAAA', message: 'xyz' },
        'message must be standard base64',
      ],
      ['another field', { signature: 'AAAA', hsm: 'hsm-a' }, 'property hsm should not exist'],
    ])('answers 400 for %s', async (_case, body, detail) => {
      const problem = await expectProblem(await observe(key.keyId, body), 400);
      expect(problem.type).toBe('https://keyledger.dev/problems/validation-failed');
      expect(problem.detail).toContain(detail);
    });

    it('answers 422 for bytes that are no HSS signature, and for one of other parameters', async () => {
      const garbage = await expectProblem(
        await observe(key.keyId, { signature: b64(randomBytes(200)) }),
        422,
      );
      expect(garbage.detail).toContain('it is no RFC 8554 HSS signature (malformed HSS signature:');
      // RFC 8554 Appendix F, Test Case 1: two levels, this key has one.
      const twoLevels = await expectProblem(
        await observe(key.keyId, { signature: b64(Buffer.from(vectors.cases[0]!.signature, 'hex')) }),
        422,
      );
      expect(twoLevels.detail).toContain('it has 2 level(s) (Nspk = 1), the key has L = 1');
      expect((await getKey(key.keyId)).state).toBe('active');
    });

    it("answers 422 for another key's signature with its message (it does not verify)", async () => {
      const other = await hashsigKey();
      const problem = await expectProblem(
        await observe(other.keyId, { signature: b64(signature), message: b64(Buffer.from('a message')) }),
        422,
      );
      expect(problem.detail).toContain('it does not verify over the given message');
      expect((await getKey(other.keyId)).state).toBe('active');
    });

    it('answers 409 for a key that is not hashsig, 404 for an unknown key', async () => {
      const ec = await svc.json<KeyView>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec' });
      const notHashsig = await expectProblem(await observe(ec.keyId, { signature: b64(signature) }), 409);
      expect(notHashsig.type).toBe('https://keyledger.dev/problems/not-hashsig');
      expect(notHashsig.detail).toContain(`key ${ec.keyId} is an ec key: it has no hashsig index log`);
      await expectProblem(await observe('no-such-key', { signature: b64(signature) }), 404);
    });
  });
});
