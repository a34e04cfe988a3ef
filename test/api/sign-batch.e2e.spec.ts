/**
 * `POST /v1/sign` against the running service with the demo soft HSMs: a batch of RSA, EC and
 * hashsig items whose signatures verify (node:crypto, the RFC 8554 verifier), per-item problems
 * with the status a single sign answers, in order, beside signed items; the envelope refused as a
 * whole (257 items, not an object, …) with the ledger unchanged; and hashsig items of one key given
 * distinct indices, each recorded in the ledger before release.
 */
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { rfc8554Verify } from '../hashsig/rfc8554-verify';
import { expectProblem, startService, type KeyJson, type Service } from './support/service';

const MAX_SIGN_BYTES = 512 * 1024;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const b64 = (bytes: Buffer) => bytes.toString('base64');

interface Signed {
  keyId: string;
  signature: string;
  hsm: string;
  q?: number;
}
interface Failed {
  keyId: string | null;
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: { field: string; messages: string[] }[];
}
interface BatchJson {
  items: (Signed | Failed)[];
  signed: number;
  failed: number;
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

describe('POST /v1/sign (service with demo HSMs)', () => {
  let svc: Service;
  let keys: Record<'rsa' | 'ec' | 'p384' | 'hashsig', KeyJson>;

  const batch = (body: unknown) => svc.json<BatchJson>('POST', '/v1/sign', body);
  const key = (keyId: string) => svc.json<KeyJson>('GET', `/v1/keys/${keyId}`);
  const hashsigKey = () =>
    svc.json<KeyJson>('POST', '/v1/keys', {
      hsm: 'hsm-a',
      type: 'hashsig',
      levels: 1,
      lms: 'H5',
      lmots: 'W8',
    });

  beforeAll(async () => {
    svc = await startService();
    const [rsa, ec, p384, hashsig] = await Promise.all([
      svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'rsa', bits: 2048 }),
      svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec' }),
      svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-b', type: 'ec', curve: 'P-384' }),
      hashsigKey(),
    ]);
    keys = { rsa, ec, p384, hashsig };
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
  });

  it('signs a mixed batch of RSA, EC and hashsig items in order; every signature verifies with its key', async () => {
    const order = [keys.rsa, keys.ec, keys.hashsig, keys.p384, keys.ec, keys.rsa, keys.hashsig, keys.p384];
    const data = order.map(() => randomBytes(1 + Math.floor(Math.random() * 200)));
    const answer = await batch({ items: order.map((k, i) => ({ keyId: k.keyId, data: b64(data[i]!) })) });
    expect({ signed: answer.signed, failed: answer.failed }).toEqual({ signed: order.length, failed: 0 });
    expect(answer.items.map((item) => item.keyId)).toEqual(order.map((k) => k.keyId));
    answer.items.forEach((item, i) => {
      const k = order[i]!;
      expect(item).toEqual({
        keyId: k.keyId,
        signature: expect.any(String),
        hsm: k === keys.p384 ? 'hsm-b' : 'hsm-a',
        ...(k.type === 'hashsig' ? { q: expect.any(Number) } : {}),
      });
      const signature = Buffer.from((item as Signed).signature, 'base64');
      expect({ i, type: k.type, verifies: verifies(k, data[i]!, signature) }).toEqual({
        i,
        type: k.type,
        verifies: true,
      });
      // Not a signature of another item's data.
      expect(verifies(k, data[(i + 1) % data.length]!, signature)).toBe(false);
    });
  });

  it('answers bad items with the problem a single sign gets, in their slots, and signs the good ones', async () => {
    const good = randomBytes(48);
    const items: unknown[] = [
      { keyId: keys.ec.keyId, data: b64(good) },
      { keyId: UNKNOWN, data: b64(good) },
      { keyId: keys.rsa.keyId, data: 'aGVsbG8' }, // missing padding: not strict base64
      { keyId: keys.ec.keyId, data: b64(randomBytes(MAX_SIGN_BYTES + 1)) },
      { keyId: keys.rsa.keyId, data: b64(good) },
      'not an object',
      { data: b64(good) },
      { keyId: keys.ec.keyId, data: b64(good), hsm: 'hsm-a' },
      { keyId: keys.hashsig.keyId, data: b64(randomBytes(8193)) }, // over the hashsig message limit: 422
      { keyId: keys.p384.keyId, data: b64(good) },
    ];
    const before = await key(keys.hashsig.keyId);
    const answer = await batch({ items });
    expect({ signed: answer.signed, failed: answer.failed }).toEqual({ signed: 3, failed: 7 });
    expect(answer.items.map((item) => ('signature' in item ? 'signed' : item.status))).toEqual([
      'signed',
      404,
      400,
      400,
      'signed',
      400,
      400,
      400,
      422,
      'signed',
    ]);
    expect(answer.items.map((item) => item.keyId)).toEqual([
      keys.ec.keyId,
      UNKNOWN,
      keys.rsa.keyId,
      keys.ec.keyId,
      keys.rsa.keyId,
      null,
      null,
      keys.ec.keyId,
      keys.hashsig.keyId,
      keys.p384.keyId,
    ]);
    for (const i of [0, 4, 9]) {
      const k = [keys.ec, keys.rsa, keys.p384][[0, 4, 9].indexOf(i)]!;
      expect(verifies(k, good, Buffer.from((answer.items[i] as Signed).signature, 'base64'))).toBe(true);
    }

    // Each problem in the API's problem shape, naming the item's field; its type, status and detail
    // are the single sign's for the same input (the single sign's instance is its own path).
    const problems = answer.items.filter((item): item is Failed => !('signature' in item));
    for (const p of problems)
      expect(p).toEqual(
        expect.objectContaining({
          type: expect.stringMatching(/^https:\/\/keyledger\.dev\/problems\//),
          title: expect.any(String),
          status: expect.any(Number),
          detail: expect.any(String),
          instance: '/v1/sign',
        }),
      );
    const single = async (keyId: string, body: unknown) => {
      const response = await svc.call('POST', `/v1/keys/${keyId}/sign`, body);
      const { type, title, status, detail } = await expectProblem(response, response.status);
      return { type, title, status, detail };
    };
    const unknown = answer.items[1] as Failed;
    expect({
      type: unknown.type,
      title: unknown.title,
      status: unknown.status,
      detail: unknown.detail,
    }).toEqual(await single(UNKNOWN, { data: b64(good) }));
    const tooLong = answer.items[8] as Failed;
    expect({
      type: tooLong.type,
      title: tooLong.title,
      status: tooLong.status,
      detail: tooLong.detail,
    }).toEqual(await single(keys.hashsig.keyId, { data: b64(randomBytes(8193)) }));
    expect(tooLong.detail).toMatch(/at most 8192 bytes/);
    const fields = (i: number) => (answer.items[i] as Failed).errors?.map((e) => e.field);
    expect(
      [2, 3, 5, 6, 7].map((i) => ({ i, type: (answer.items[i] as Failed).type, fields: fields(i) })),
    ).toEqual([
      { i: 2, type: 'https://keyledger.dev/problems/validation-failed', fields: ['items.2.data'] },
      { i: 3, type: 'https://keyledger.dev/problems/validation-failed', fields: ['items.3.data'] },
      { i: 5, type: 'https://keyledger.dev/problems/validation-failed', fields: ['items.5'] },
      { i: 6, type: 'https://keyledger.dev/problems/validation-failed', fields: ['items.6.keyId'] },
      { i: 7, type: 'https://keyledger.dev/problems/validation-failed', fields: ['items.7.hsm'] },
    ]);
    // The same messages as the single sign's 400 for the same data.
    const badBase64 = await expectProblem(
      await svc.call('POST', `/v1/keys/${keys.rsa.keyId}/sign`, { data: 'aGVsbG8' }),
      400,
    );
    expect((answer.items[2] as Failed).errors![0]!.messages).toEqual(
      (badBase64.errors as { messages: string[] }[])[0]!.messages,
    );
    // Nothing of the refused hashsig item reached the HSM or the ledger.
    expect((await key(keys.hashsig.keyId)).hashsig).toEqual(before.hashsig);
  });

  it("answers an hsm that is well formed but not registered in every slot with the single sign's 404; nothing is signed", async () => {
    const before = await svc.position();
    const data = b64(randomBytes(16));
    const answer = await batch({
      items: [keys.ec, keys.hashsig, keys.rsa].map((k) => ({ keyId: k.keyId, data })),
      hsm: 'hsm-nowhere',
    });
    expect({ signed: answer.signed, failed: answer.failed }).toEqual({ signed: 0, failed: 3 });
    const response = await svc.call('POST', `/v1/keys/${keys.ec.keyId}/sign`, { data, hsm: 'hsm-nowhere' });
    const { type, title, status, detail } = await expectProblem(response, 404);
    expect(detail).toMatch(/^HSM "hsm-nowhere" is not registered/);
    for (const item of answer.items as Failed[])
      expect({ type: item.type, title: item.title, status: item.status, detail: item.detail }).toEqual({
        type,
        title,
        status,
        detail,
      });
    expect(await svc.position()).toBe(before);
  });

  describe('an envelope it cannot take: 400 for the whole request, the ledger unchanged', () => {
    let before: number;
    beforeEach(async () => {
      before = await svc.position();
    });
    afterEach(async () => {
      expect(await svc.position()).toBe(before);
    });

    const item = () => ({ keyId: keys.hashsig.keyId, data: b64(randomBytes(16)) });

    it.each([
      ['257 items (one over the limit)', () => ({ items: Array.from({ length: 257 }, item) }), 'items'],
      ['no items', () => ({ items: [] }), 'items'],
      ['items missing', () => ({ hsm: 'hsm-a' }), 'items'],
      ['items not an array', () => ({ items: item() }), 'items'],
      ['a bad hsm', () => ({ items: [item()], hsm: '../hsm' }), 'hsm'],
      ['another top-level field', () => ({ items: [item()], colour: 'red' }), 'colour'],
    ])('%s', async (label, body, field) => {
      const problem = await expectProblem(await svc.call('POST', '/v1/sign', body()), 400);
      expect(problem.type).toBe('https://keyledger.dev/problems/validation-failed');
      expect((problem.errors as { field: string }[]).map((e) => e.field)).toContain(field);
      if (label.startsWith('257')) expect(problem.detail).toMatch(/1 to 256 items/);
    });

    // One message per fault, said once: a missing field is "required", not each check it fails.
    it.each([
      ['{}', {}, ['items is required: an array of 1 to 256 {keyId, data}']],
      ['items: null', { items: null }, ['items is required: an array of 1 to 256 {keyId, data}']],
      ['no items', { items: [] }, ['items must hold 1 to 256 items']],
      ['items not an array', { items: 'x' }, ['items must hold 1 to 256 items', 'items must be an array']],
    ])('%s: each message about items once', async (_label, body, messages) => {
      const problem = await expectProblem(await svc.call('POST', '/v1/sign', body), 400);
      expect(problem.errors).toEqual([{ field: 'items', messages }]);
      expect(problem.detail).toBe(`the request body is invalid: ${messages.join(', ')}`);
    });

    it('a body that is not an object', async () => {
      await expectProblem(await svc.call('POST', '/v1/sign', [item()]), 400);
    });

    it('a body over 1 MiB: 413', async () => {
      const big = b64(randomBytes(400 * 1024));
      await expectProblem(
        await svc.call('POST', '/v1/sign', {
          items: [1, 2].map(() => ({ keyId: keys.ec.keyId, data: big })),
        }),
        413,
      );
    });
  });

  it('takes 256 items', async () => {
    const data = randomBytes(32);
    const answer = await batch({
      items: Array.from({ length: 256 }, (_, i) => ({
        keyId: (i % 2 === 0 ? keys.ec : keys.p384).keyId,
        data: b64(data),
      })),
    });
    expect({ signed: answer.signed, failed: answer.failed, length: answer.items.length }).toEqual({
      signed: 256,
      failed: 0,
      length: 256,
    });
    for (const [i, item] of answer.items.entries())
      expect(
        verifies(i % 2 === 0 ? keys.ec : keys.p384, data, Buffer.from((item as Signed).signature, 'base64')),
      ).toBe(true);
  });

  it('gives hashsig items of one key distinct indices, each recorded in the ledger with its signature hash', async () => {
    const hashsig = await hashsigKey();
    const other = await hashsigKey();
    const order = [hashsig, hashsig, keys.ec, hashsig, other, hashsig, hashsig, other, hashsig];
    const data = order.map((_, i) => Buffer.from(`message ${i}`));
    const answer = await batch({ items: order.map((k, i) => ({ keyId: k.keyId, data: b64(data[i]!) })) });
    expect({ signed: answer.signed, failed: answer.failed }).toEqual({ signed: order.length, failed: 0 });
    const signed = answer.items as Signed[];
    signed.forEach((s, i) =>
      expect({ i, ok: verifies(order[i]!, data[i]!, Buffer.from(s.signature, 'base64')) }).toEqual({
        i,
        ok: true,
      }),
    );

    const mine = signed.filter((s) => s.keyId === hashsig.keyId);
    expect(mine).toHaveLength(6);
    const qs = mine.map((s) => s.q!);
    expect(new Set(qs).size).toBe(6);
    expect(new Set(signed.filter((s) => s.keyId === other.keyId).map((s) => s.q)).size).toBe(2);

    // The ledger: one release per signature, with the index path the signature carries and its SHA-256.
    const events = await svc.json<
      { type: string; data: { indexPaths: { q: number }[][]; signatureSha256s: string[] } }[]
    >('GET', `/v1/keys/${hashsig.keyId}/events`);
    const released = events.filter((e) => e.type === 'HashsigSignaturesReleased');
    const recorded = released.flatMap((e) =>
      e.data.indexPaths.map((path, j) => ({ q: path[0]!.q, sha: e.data.signatureSha256s[j] })),
    );
    const returned = mine.map((s) => ({
      q: s.q!,
      sha: createHash('sha256').update(Buffer.from(s.signature, 'base64')).digest('hex'),
    }));
    const byQ = (a: { q: number }, b: { q: number }) => a.q - b.q;
    expect([...recorded].sort(byQ)).toEqual([...returned].sort(byQ));
    expect((await key(hashsig.keyId)).hashsig).toEqual(
      expect.objectContaining({ signatures: 6, lastIndex: Math.max(...qs) }),
    );
  });
});
