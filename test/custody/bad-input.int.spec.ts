/** Bad input (issue 4 acceptance): each refusal says what was wrong, and the ledger is unchanged. */
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustodyNotFound } from '../../src/app/custody/errors';
import { SecretStore } from '../../src/app/secrets/secret-store';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { KEK_2, openCustody, PIN, registerInDomain, startHsm, type Custody, type TestHsm } from './support';

describe('refused input', () => {
  let dir: string;
  let hsms: TestHsm[];
  let custody: Custody;

  beforeAll(async () => {
    dir = await makeTempDir('custody-bad-');
    hsms = [
      await startHsm(dir, 'a'),
      await startHsm(dir, 'other', { kek: KEK_2 }),
      await startHsm(dir, 'lone', { kek: KEK_2 }),
    ];
    custody = await openCustody(dir);
    await registerInDomain(custody.service, [hsms[0]!]);
    await registerInDomain(custody.service, [hsms[1]!], 'domain-2');
    await custody.service.registerHsm({ name: 'lone', endpoint: hsms[2]!.endpoint, pin: PIN });
  });
  afterAll(async () => {
    await custody.close();
    for (const h of hsms) await h.stop();
    await removeTempDir(dir);
  });

  async function unchanged(
    what: Promise<unknown>,
    expected: { type: string; message: RegExp },
  ): Promise<void> {
    const head = await custody.store.headPosition();
    await expect(what).rejects.toMatchObject({
      type: expected.type,
      message: expect.stringMatching(expected.message),
    });
    expect(await custody.store.headPosition()).toBe(head);
  }

  it('refuses unknown keys and HSMs, the wrong KEK domain, foreign blobs and bad fields without touching the ledger', async () => {
    const svc = custody.service;
    const k = await svc.generateKey({ hsm: 'a', type: 'ec' });
    const other = await svc.generateKey({ hsm: 'a', type: 'ec' });
    const otherBlob = await svc.rawExport(other.keyId, { hsm: 'a' });
    await svc.rawExport(k.keyId, { hsm: 'a' });

    await unchanged(svc.getKey('0b9e-missing'), {
      type: 'not-found',
      message: /key 0b9e-missing is not in the ledger/,
    });
    await expect(svc.getKey('../etc')).rejects.toBeInstanceOf(CustodyNotFound);
    await unchanged(svc.rawExport('0b9e-missing', { hsm: 'a' }), {
      type: 'not-found',
      message: /not in the ledger/,
    });
    await unchanged(svc.rawExport(k.keyId, { hsm: 'zz' }), {
      type: 'not-found',
      message: /HSM "zz" is not registered \(registered: a, lone, other\)/,
    });
    await unchanged(svc.sign(k.keyId, { data: Buffer.from('x'), hsm: 'nope' }), {
      type: 'not-found',
      message: /not registered/,
    });
    await unchanged(svc.rawImport(k.keyId, { hsm: 'other' }), {
      type: 'wrong-kek-domain',
      message: /domain/,
    });
    await unchanged(svc.rawImport(k.keyId, { hsm: 'a', blobSha256: otherBlob.blobSha256 }), {
      type: 'unknown-blob',
      message: new RegExp(k.keyId),
    });
    await unchanged(svc.rawImport(k.keyId, { hsm: 'a', blobSha256: 'XYZ' }), {
      type: 'invalid-input',
      message: /"blobSha256" expected 64 lowercase hex/,
    });
    await unchanged(svc.generateKey({ hsm: 'a', type: 'dsa' as 'ec' }), {
      type: 'invalid-input',
      message: /"type" expected "rsa", "ec" or "hashsig", got "dsa"/,
    });
    await unchanged(svc.generateKey({ hsm: 'a', type: 'rsa', bits: 1000 }), {
      type: 'invalid-input',
      message: /"bits" expected 1024/,
    });
    await unchanged(svc.generateKey({ hsm: 'a', type: 'hashsig', lms: 'H7' as 'H5' }), {
      type: 'invalid-input',
      message: /"lms" expected/,
    });
    await unchanged(svc.registerHsm({ name: 'x', endpoint: 'http://nope', pin: PIN }), {
      type: 'invalid-input',
      message: /"endpoint" expected/,
    });
    await unchanged(svc.registerHsm({ name: 'a', endpoint: hsms[0]!.endpoint, pin: PIN }), {
      type: 'hsm-already-registered',
      message: /already registered/,
    });
    // A wrong KEK shows when the canary will not unwrap on the HSM.
    await unchanged(svc.joinKekDomain({ kekDomain: 'domain-1', hsm: 'lone' }), {
      type: 'kek-mismatch',
      message: /lone cannot unwrap the canary of KEK domain domain-1/,
    });
    await unchanged(svc.joinKekDomain({ kekDomain: 'domain-1', hsm: 'other' }), {
      type: 'hsm-in-other-kek-domain',
      message: /./,
    });
    await unchanged(svc.joinKekDomain({ kekDomain: 'nowhere', hsm: 'a' }), {
      type: 'not-found',
      message: /KEK domain "nowhere" does not exist/,
    });
  });

  it('keeps a wrong PIN out of the error, the events and the secret file mode', async () => {
    const attempt = custody.service.registerHsm({
      name: 'wrong-pin',
      endpoint: hsms[0]!.endpoint,
      pin: 'not-the-pin-4711',
    });
    await expect(attempt).rejects.toHaveProperty('status', 'PIN_INCORRECT');
    await expect(attempt).rejects.not.toThrow(/4711/);
    const all = JSON.stringify(await custody.store.readAll({ maxCount: 100_000 }));
    expect(all).not.toContain(PIN);
    const file = join(dir, 'secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain(PIN);
  });
});

describe('SecretStore', () => {
  it('prefers the environment, then the 0600 file, and replaces the file whole', async () => {
    const dir = await makeTempDir('custody-secrets-');
    try {
      const store = new SecretStore(dir, { KEYLEDGER_HSM_PIN_HSM_B: 'from-env' });
      expect(store.pinFor('id-a', 'hsm-a')).toBeUndefined();
      store.setPin('id-a', 'pin-a');
      store.setPin('id-b', 'pin-b');
      store.setPin('id-a', 'pin-a2');
      expect(store.pinFor('id-a', 'hsm-a')).toBe('pin-a2');
      expect(store.pinFor('id-b', 'hsm-b')).toBe('from-env');
      expect(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8'))).toEqual({
        version: 1,
        pins: { 'id-a': 'pin-a2', 'id-b': 'pin-b' },
      });
      expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
    } finally {
      await removeTempDir(dir);
    }
  });
});
