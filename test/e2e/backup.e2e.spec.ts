/**
 * cryptech_backup interop (docs/libhal-rpc.md §8) through `keyledger backup` and `/v1/backups`,
 * against the real service and its demo soft HSMs:
 *
 * - a round trip: `backup setup` makes a KEKEK on hsm-b (recorded: reconcile sees no drift),
 *   `backup export` writes hsm-a's RSA/EC keys to it (a hashsig key skipped, or refused when named,
 *   with the message saying why), `backup import` puts them on hsm-b as new holders of the same
 *   ledger keys; signatures by hsm-b verify with node:crypto; importing again changes nothing;
 * - the same file format between two ledgers: a software KEKEK made by `backup setup --soft`, keys
 *   exported from one service and imported into another as new keys with the same public keys;
 * - a file built here by cryptech_backup's own rules, independently of src/lib (Python 2 base64
 *   line lists and json.dump spacing, sorted keys, a software KEKEK under PBKDF2-HMAC-SHA256 with
 *   8000 iterations, KEKs under RSAES-PKCS1-v1_5, keys under RFC 5649): its keys import as new
 *   ledger keys with their provenance, its public-key entry is skipped;
 * - malformed, truncated, wrong-passphrase and damaged files: a clear error, and nothing imported
 *   (no new key in the ledger, no key left on the HSM).
 */
import {
  constants,
  createCipheriv,
  createHash,
  createPublicKey,
  generateKeyPairSync,
  pbkdf2Sync,
  publicEncrypt,
  randomBytes,
  verify,
  type KeyObject,
} from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { backupKeyId } from '../../src/app/custody/backup-import';
import { runCli } from '../support/cli';
import { expectProblem, startService, type KeyJson, type Service } from '../api/support/service';
import { outcome } from '../cli/support/service';

const HASHSIG_MESSAGE =
  'hashsig keys cannot be written to a cryptech_backup file: the format cannot carry their state';
const CUSTODY_FLAGS = 0x29;

interface EventJson {
  type: string;
  data: Record<string, unknown>;
}

interface BackupJson {
  comment: string;
  kekek_pubkey: string[];
  kekek_uuid?: string;
  kekek_pkcs8?: string[];
  kekek_salt?: string[];
  keys: { comment: string; uuid: string; flags: number; pkcs8?: string[]; kek?: string[]; spki?: string[] }[];
}

// --- cryptech_backup's rules, written out here (not src/lib) ----------------------------------------

/** Python 2 `base64.encodestring(b).splitlines()`: 76 characters a line. */
function pythonB64(bytes: Buffer): string[] {
  return bytes.toString('base64').match(/.{1,76}/g) ?? [];
}

/** Python 2 `json.dumps(doc, indent=4, sort_keys=True)`: sorted keys, and ", " before each line break. */
function pythonJson(value: unknown, depth = 0): string {
  const pad = (n: number) => ' '.repeat(4 * n);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => pad(depth + 1) + pythonJson(v, depth + 1)).join(', \n')}\n${pad(depth)}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) return '{}';
    return `{\n${keys
      .map(
        (k) =>
          `${pad(depth + 1)}${JSON.stringify(k)}: ${pythonJson((value as Record<string, unknown>)[k], depth + 1)}`,
      )
      .join(', \n')}\n${pad(depth)}}`;
  }
  return JSON.stringify(value);
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const der = (tag: number, content: Buffer) =>
  Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
/** The OID contents of id-aes256-wrap-pad (2.16.840.1.101.3.4.1.48) and rsaEncryption (1.2.840.113549.1.1.1). */
const AES256_WRAP_PAD = Buffer.from('608648016503040130', 'hex');
const RSA_ENCRYPTION = Buffer.from('2a864886f70d010101', 'hex');
/** EncryptedPrivateKeyInfo as libhal writes it: an AlgorithmIdentifier without parameters. */
const epki = (oid: Buffer, data: Buffer) =>
  der(0x30, Buffer.concat([der(0x30, der(0x06, oid)), der(0x04, data)]));
/** RFC 5649 through OpenSSL. */
function rfc5649(kek: Buffer, plaintext: Buffer): Buffer {
  const c = createCipheriv('id-aes256-wrap-pad', kek, Buffer.from('a65959a6', 'hex'));
  return Buffer.concat([c.update(plaintext), c.final()]);
}

/** What `cryptech_backup export` writes for one private key: PKEY_EXPORT's two blobs (§5.3). */
function exportedEntry(privateKey: KeyObject, kekek: KeyObject, uuid: string, flags: number) {
  const kek = randomBytes(32);
  const pkcs8 = epki(AES256_WRAP_PAD, rfc5649(kek, privateKey.export({ type: 'pkcs8', format: 'der' })));
  const encrypted = epki(
    RSA_ENCRYPTION,
    publicEncrypt({ key: kekek, padding: constants.RSA_PKCS1_PADDING }, kek),
  );
  return {
    comment: 'Encrypted private key',
    flags,
    kek: pythonB64(encrypted),
    pkcs8: pythonB64(pkcs8),
    uuid,
  };
}

/** A backup file of two keys and a public key under a software KEKEK, as `setup -s` then `export` write it. */
function cryptechSoftBackup(passphrase: string) {
  const kekek = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const salt = randomBytes(16);
  const wrappingKey = pbkdf2Sync(Buffer.from(passphrase), salt, 8000, 32, 'sha256');
  const keys = {
    ec: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    pub: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  };
  const uuids = {
    ec: 'a0e3c5d1-8f2b-4c9e-b7a1-000000000001',
    rsa: 'a0e3c5d1-8f2b-4c9e-b7a1-000000000002',
    pub: 'a0e3c5d1-8f2b-4c9e-b7a1-000000000003',
  };
  const doc = {
    comment: 'Cryptech Alpha encrypted key backup',
    kekek_pkcs8: pythonB64(
      epki(AES256_WRAP_PAD, rfc5649(wrappingKey, kekek.privateKey.export({ type: 'pkcs8', format: 'der' }))),
    ),
    kekek_pubkey: pythonB64(kekek.publicKey.export({ type: 'spki', format: 'der' })),
    kekek_salt: pythonB64(salt),
    keys: [
      exportedEntry(keys.ec.privateKey, kekek.publicKey, uuids.ec, 0x29),
      exportedEntry(keys.rsa.privateKey, kekek.publicKey, uuids.rsa, 0x2b),
      {
        comment: 'Public key',
        flags: 0x10,
        spki: pythonB64(keys.pub.publicKey.export({ type: 'spki', format: 'der' })),
        uuid: uuids.pub,
      },
    ],
  };
  return { text: pythonJson(doc), doc, keys, uuids, kekek };
}

/**
 * The same rules as Python writes them (python3 with `cryptography`, json.dump spaced as Python 2
 * does): a software-KEKEK backup of an EC P-384 and an RSA-3072 key. Prints {file, spki}.
 */
const PYTHON_BACKUP = String.raw`
import base64, hashlib, json, os, sys, uuid
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

def b64(data):
    return base64.encodebytes(data).decode("ascii").splitlines()

def der(tag, content):
    n = len(content)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + length + content

def epki(oid_hex, data):
    return der(0x30, der(0x30, der(0x06, bytes.fromhex(oid_hex))) + der(0x04, data))

AES_WRAP_PAD, RSA_ENCRYPTION = "608648016503040130", "2a864886f70d010101"
pkcs8 = lambda k: k.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
spki = lambda k: k.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

kekek = rsa.generate_private_key(public_exponent=65537, key_size=2048)
salt = os.urandom(16)
wrapping = hashlib.pbkdf2_hmac("sha256", sys.argv[1].encode("utf-8"), salt, 8000, 32)
entries, spkis = [], []
for key in (ec.generate_private_key(ec.SECP384R1()), rsa.generate_private_key(public_exponent=65537, key_size=3072)):
    kek = os.urandom(32)
    entries.append(dict(
        comment="Encrypted private key",
        pkcs8=b64(epki(AES_WRAP_PAD, aes_key_wrap_with_padding(kek, pkcs8(key)))),
        kek=b64(epki(RSA_ENCRYPTION, kekek.public_key().encrypt(kek, padding.PKCS1v15()))),
        uuid=str(uuid.uuid4()),
        flags=0x29))
    spkis.append(base64.b64encode(spki(key)).decode("ascii"))
db = dict(
    comment="Cryptech Alpha encrypted key backup",
    kekek_pkcs8=b64(epki(AES_WRAP_PAD, aes_key_wrap_with_padding(wrapping, pkcs8(kekek)))),
    kekek_pubkey=b64(spki(kekek)),
    kekek_salt=b64(salt),
    keys=entries)
print(json.dumps(dict(file=json.dumps(db, indent=4, sort_keys=True, separators=(", ", ": ")), spki=spkis)))
`;

/**
 * What `cryptech_backup import` does with a software-KEKEK backup, in Python: the KEKEK unwrapped
 * with the passphrase, each KEK decrypted (RSAES-PKCS1-v1_5), each key unwrapped (RFC 5649).
 * Prints the keys' public keys (SPKI, base64) in file order.
 */
const PYTHON_READ = String.raw`
import base64, hashlib, json, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding

def tlv(b, i):
    tag, n, i = b[i], b[i + 1], i + 2
    if n & 0x80:
        k = n & 0x7F
        n, i = int.from_bytes(b[i:i + k], "big"), i + k
    return tag, b[i:i + n], i + n

def epki(b):
    tag, seq, _ = tlv(b, 0)
    tag, alg, i = tlv(seq, 0)
    _, oid, _ = tlv(alg, 0)
    tag, data, _ = tlv(seq, i)
    assert tag == 0x04
    return oid.hex(), data

AES_WRAP_PAD, RSA_ENCRYPTION = "608648016503040130", "2a864886f70d010101"
db = json.load(open(sys.argv[1]))
join = lambda lines: base64.b64decode("".join(lines))
oid, wrapped = epki(join(db["kekek_pkcs8"]))
assert oid == AES_WRAP_PAD
key = hashlib.pbkdf2_hmac("sha256", sys.argv[2].encode("utf-8"), join(db["kekek_salt"]), 8000, 32)
kekek = serialization.load_der_private_key(aes_key_unwrap_with_padding(key, wrapped), None)
out = []
for entry in db["keys"]:
    oid, encrypted = epki(join(entry["kek"]))
    assert oid == RSA_ENCRYPTION
    kek = kekek.decrypt(encrypted, padding.PKCS1v15())
    oid, wrapped = epki(join(entry["pkcs8"]))
    assert oid == AES_WRAP_PAD
    private = serialization.load_der_private_key(aes_key_unwrap_with_padding(kek, wrapped), None)
    spki = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    out.append(base64.b64encode(spki).decode("ascii"))
print(json.dumps(out))
`;

/**
 * The Python cross-checks need python3 with the cryptography package (Debian python3-cryptography;
 * .ci/run installs it when missing): without it they fail saying so, never pass unseen.
 */
function requirePythonCryptography(): void {
  const probe = spawnSync('python3', ['-c', 'import cryptography.hazmat.primitives.keywrap'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0)
    throw new Error(
      'python3 with the cryptography package is missing: apt-get install python3-cryptography (.ci/run installs it when missing)',
    );
}

// --- helpers ---------------------------------------------------------------------------------------

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const spkiOf = (k: KeyObject) => k.export({ type: 'spki', format: 'der' }).toString('base64');

async function signVerifies(svc: Service, k: KeyJson, hsm: string): Promise<boolean> {
  const data = randomBytes(48);
  const signed = await svc.json<{ signature: string; hsm: string }>('POST', `/v1/keys/${k.keyId}/sign`, {
    data: data.toString('base64'),
    hsm,
  });
  expect(signed.hsm).toBe(hsm);
  const publicKey = createPublicKey({ key: Buffer.from(k.publicKey, 'base64'), format: 'der', type: 'spki' });
  const key = k.type === 'ec' ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : publicKey;
  return verify('sha256', data, key, Buffer.from(signed.signature, 'base64'));
}

const onHsm = (k: KeyJson, hsm: string) => k.holders.some((h) => h.kind === 'hsm' && h.hsm === hsm);
/** The key's name on the HSM that holds it first. */
const hsmKeyName = (k: KeyJson) =>
  (k.holders as { kind: string; hsmKeyName?: string }[]).find((h) => h.kind === 'hsm')!.hsmKeyName!;

describe('cryptech_backup files through keyledger backup', () => {
  let svc: Service;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const file = (name: string) => path.join(dir, name);
  const cli = (args: string[], e: NodeJS.ProcessEnv = env) => runCli(args, e, 60_000);
  const keys = () => svc.json<KeyJson[]>('GET', '/v1/keys');
  const drift = async (hsm: string) =>
    (await svc.json<{ drift: unknown[] }>('POST', `/v1/hsms/${hsm}/reconcile`)).drift;
  const events = (keyId: string) => svc.json<EventJson[]>('GET', `/v1/keys/${keyId}/events`);

  beforeAll(async () => {
    svc = await startService();
    env = { KEYLEDGER_URL: svc.url, KEYLEDGER_TOKEN: svc.token };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-backup-'));
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('a round trip from hsm-a to hsm-b under a KEKEK on hsm-b', () => {
    let plain: KeyJson[];
    let hashsig: KeyJson;
    let kekekUuid: string;

    beforeAll(async () => {
      plain = [
        await svc.json<KeyJson>('POST', '/v1/keys', {
          hsm: 'hsm-a',
          type: 'ec',
          curve: 'P-256',
          label: 'payments',
        }),
        await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec', curve: 'P-384' }),
        await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'rsa', bits: 2048 }),
      ];
      hashsig = await svc.json<KeyJson>('POST', '/v1/keys', {
        hsm: 'hsm-a',
        type: 'hashsig',
        lms: 'H5',
        lmots: 'W8',
      });
    }, 60_000);

    it('setup makes a KEKEK on hsm-b, recorded on its stream, and writes the setup file; a second setup finds it again', async () => {
      const made = await cli(['backup', 'setup', '--hsm', 'hsm-b', '-o', file('setup.json')]);
      expect(outcome(made)).toEqual({
        code: 0,
        stdout: expect.stringMatching(
          /^wrote .*setup\.json: KEKEK [0-9a-f-]{36} on hsm-b \(RSA-2048, SPKI sha256 [0-9a-f]{12}…\), newly generated\n$/,
        ),
        stderr: '',
      });
      const text = fs.readFileSync(file('setup.json'), 'utf8');
      expect(fs.statSync(file('setup.json')).mode & 0o777).toBe(0o600);
      const setup = JSON.parse(text) as BackupJson;
      expect(Object.keys(setup)).toEqual(['comment', 'kekek_pubkey', 'kekek_uuid']);
      expect(setup.comment).toBe('KEKEK public key');
      expect(setup.kekek_pubkey.slice(0, -1).every((l) => l.length === 76)).toBe(true);
      kekekUuid = setup.kekek_uuid!;
      // The KEKEK is the HSM's own key in the ledger: reconcile finds no drift.
      expect(await drift('hsm-b')).toEqual([]);
      const again = await cli([
        'backup',
        'setup',
        '--hsm',
        'hsm-b',
        '-o',
        file('setup-again.json'),
        '--json',
      ]);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toEqual(expect.objectContaining({ kekekUuid, reused: true }));
      expect(fs.readFileSync(file('setup-again.json'), 'utf8')).toBe(text);
      // A setup file is never overwritten.
      const twice = await cli(['backup', 'setup', '--hsm', 'hsm-b', '-o', file('setup.json')]);
      expect(outcome(twice)).toEqual({
        code: 2,
        stdout: '',
        stderr: expect.stringContaining('setup.json already exists: keyledger does not overwrite'),
      });
    });

    it('export refuses a hashsig key named explicitly, and writes nothing', async () => {
      const refused = await cli([
        'backup',
        'export',
        '--hsm',
        'hsm-a',
        '--setup',
        file('setup.json'),
        '-o',
        file('hashsig.json'),
        '--key',
        hashsig.keyId,
      ]);
      expect(outcome(refused)).toEqual({
        code: 1,
        stdout: '',
        stderr: `keyledger: key ${hashsig.keyId} is a hashsig key: ${HASHSIG_MESSAGE}\n`,
      });
      expect(fs.existsSync(file('hashsig.json'))).toBe(false);
      const rest = await svc.call('POST', '/v1/backups/export', {
        hsm: 'hsm-a',
        setup: fs.readFileSync(file('setup.json'), 'utf8'),
        keyIds: [plain[0].keyId, hashsig.keyId],
      });
      expect(await expectProblem(rest, 422)).toEqual(
        expect.objectContaining({ type: 'https://keyledger.dev/problems/hashsig-not-in-backup' }),
      );
      expect((await events(plain[0].keyId)).map((e) => e.type)).not.toContain('KeyBackupExported');
    });

    it("export writes hsm-a's RSA/EC keys in cryptech_backup's format, skips the hashsig key saying why, and records each export", async () => {
      const exported = await cli([
        'backup',
        'export',
        '--hsm',
        'hsm-a',
        '--setup',
        file('setup.json'),
        '-o',
        file('out.json'),
      ]);
      expect(outcome(exported)).toEqual({
        code: 0,
        stdout: expect.stringMatching(
          /^wrote 3 key\(s\) from hsm-a to .*out\.json \(file sha256 [0-9a-f]{12}…, KEKEK [0-9a-f-]{36} RSA-2048\); 1 skipped\n$/,
        ),
        stderr: `keyledger: skipped key ${hashsig.keyId} (hashsig): ${HASHSIG_MESSAGE}\n`,
      });
      const text = fs.readFileSync(file('out.json'), 'utf8');
      expect(fs.statSync(file('out.json')).mode & 0o777).toBe(0o600);
      const backup = JSON.parse(text) as BackupJson;
      expect(Object.keys(backup)).toEqual(['comment', 'kekek_pubkey', 'kekek_uuid', 'keys']);
      expect(backup.comment).toBe('Cryptech Alpha encrypted key backup');
      expect(backup.kekek_uuid).toBe(kekekUuid);
      const names = Object.fromEntries(plain.map((k) => [k.keyId, hsmKeyName(k)] as const));
      expect(backup.keys.map((k) => [k.comment, k.uuid, k.flags])).toEqual(
        plain.map((k) => ['Encrypted private key', names[k.keyId], CUSTODY_FLAGS]),
      );
      for (const k of backup.keys) {
        expect(Object.keys(k)).toEqual(['comment', 'flags', 'kek', 'pkcs8', 'uuid']);
        for (const lines of [k.kek!, k.pkcs8!]) {
          expect(lines.slice(0, -1).every((l) => l.length === 76)).toBe(true);
          expect(lines.at(-1)!.length).toBeLessThanOrEqual(76);
        }
      }
      // json.dump(indent=4, sort_keys=True)
      expect(text).toBe(`${JSON.stringify(backup, null, 4)}\n`);
      for (const k of plain) {
        const recorded = (await events(k.keyId)).filter((e) => e.type === 'KeyBackupExported');
        expect(recorded.map((e) => e.data)).toEqual([
          expect.objectContaining({
            fileSha256: sha256(text),
            sourceUuid: names[k.keyId],
            kekekSpkiSha256: createHash('sha256')
              .update(Buffer.from(backup.kekek_pubkey.join(''), 'base64'))
              .digest('hex'),
          }),
        ]);
      }
    });

    it('import puts every key on hsm-b as a new holder of the same ledger key, and hsm-b signs with each', async () => {
      const before = await keys();
      const imported = await cli([
        'backup',
        'import',
        '--file',
        file('out.json'),
        '--hsm',
        'hsm-b',
        '--json',
      ]);
      expect(outcome(imported)).toEqual({ code: 0, stdout: expect.any(String), stderr: '' });
      const result = JSON.parse(imported.stdout) as {
        items: { outcome: string; keyId: string }[];
        imported: number;
      };
      expect(result.items.map((i) => [i.outcome, i.keyId])).toEqual(
        plain.map((k) => ['new-holder', k.keyId]),
      );
      expect(result.imported).toBe(3);
      const after = await keys();
      expect(after.map((k) => k.keyId)).toEqual(before.map((k) => k.keyId));
      for (const k of plain) {
        const now = after.find((a) => a.keyId === k.keyId)!;
        expect(now.publicKey).toBe(k.publicKey);
        expect(onHsm(now, 'hsm-a') && onHsm(now, 'hsm-b')).toBe(true);
        expect(await signVerifies(svc, now, 'hsm-b')).toBe(true);
        const arrival = (await events(k.keyId)).find((e) => e.type === 'KeyBackupImported')!;
        expect(arrival.data.provenance).toEqual({
          format: 'cryptech-backup',
          fileSha256: sha256(fs.readFileSync(file('out.json'), 'utf8')),
          sourceUuid: hsmKeyName(k),
          sourceFlags: CUSTODY_FLAGS,
          kekekSpkiSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
          kekekName: kekekUuid,
        });
      }
      expect(await drift('hsm-b')).toEqual([]);
    });

    it('importing the same file again records nothing twice and leaves no copy behind', async () => {
      const before = await keys();
      const again = await cli(['backup', 'import', '--file', file('out.json'), '--hsm', 'hsm-b']);
      expect(outcome(again)).toEqual({
        code: 0,
        stdout: expect.stringContaining('imported 0 key(s) from'),
        stderr: '',
      });
      expect(again.stdout.match(/already on HSM/g)).toHaveLength(3);
      expect(await keys()).toEqual(before);
      expect(await drift('hsm-b')).toEqual([]);
    });

    it("a backup written for hsm-b's KEKEK cannot be imported onto hsm-a", async () => {
      const before = await keys();
      const response = await svc.call('POST', '/v1/backups/import', {
        hsm: 'hsm-a',
        file: fs.readFileSync(file('out.json'), 'utf8'),
      });
      expect((await expectProblem(response, 422)).detail).toBe(
        `hsm-a holds no key ${kekekUuid} (the file's kekek_uuid): the backup was written for a KEKEK on another HSM, or the KEKEK was deleted; nothing was imported`,
      );
      expect(await keys()).toEqual(before);
    });

    it('export needs an officer: an operator is refused it, and may import', async () => {
      const olga = await svc.json<{ token: string }>('POST', '/v1/operators', {
        name: 'olga',
        role: 'operator',
      });
      const setup = fs.readFileSync(file('setup.json'), 'utf8');
      const refused = await svc.call(
        'POST',
        '/v1/backups/export',
        { hsm: 'hsm-a', setup },
        { auth: olga.token },
      );
      expect(await expectProblem(refused, 403)).toEqual(expect.objectContaining({ requiredRole: 'officer' }));
      const again = await svc.call(
        'POST',
        '/v1/backups/import',
        { hsm: 'hsm-b', file: fs.readFileSync(file('out.json'), 'utf8') },
        { auth: olga.token },
      );
      expect(again.status).toBe(200);
    });
  });

  describe("a file built by cryptech_backup's own rules, with a software KEKEK", () => {
    const passphrase = 'Tr0ub4dor&3 of the backup room';
    let built: ReturnType<typeof cryptechSoftBackup>;

    beforeAll(() => {
      built = cryptechSoftBackup(passphrase);
      fs.writeFileSync(file('cryptech.json'), built.text);
      fs.writeFileSync(file('passphrase'), `${passphrase}\n`);
      fs.writeFileSync(file('wrong-passphrase'), 'not the passphrase\n');
    });

    it('is what Python 2 writes: sorted keys, ", " before each line break, base64 lines of 76', () => {
      expect(built.text.split('\n').slice(0, 3)).toEqual([
        '{',
        '    "comment": "Cryptech Alpha encrypted key backup", ',
        '    "kekek_pkcs8": [',
      ]);
      expect(built.doc.kekek_pkcs8.slice(0, -1).every((l) => l.length === 76)).toBe(true);
    });

    const refusedWithNothingImported = async (args: string[], stderr: RegExp) => {
      const before = await keys();
      const result = await cli(args);
      expect(outcome(result)).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(stderr) });
      expect(await keys()).toEqual(before);
      expect(await drift('hsm-b')).toEqual([]);
    };

    it('malformed JSON: a clear error, nothing imported', async () => {
      fs.writeFileSync(
        file('malformed.json'),
        '{"comment": "Cryptech Alpha encrypted key backup", "keys": [}',
      );
      await refusedWithNothingImported(
        ['backup', 'import', '--file', file('malformed.json'), '--hsm', 'hsm-b'],
        /^keyledger: the backup file is not valid JSON( at line \d+, column \d+)? \(damaged\?\)\n$/,
      );
    });

    it('a truncated file: a clear error, nothing imported', async () => {
      fs.writeFileSync(file('truncated.json'), built.text.slice(0, Math.floor(built.text.length * 0.6)));
      await refusedWithNothingImported(
        [
          'backup',
          'import',
          '--file',
          file('truncated.json'),
          '--hsm',
          'hsm-b',
          '--passphrase-file',
          file('passphrase'),
        ],
        /^keyledger: the backup file is not valid JSON: it ends too early \(cut short\?\)\n$/,
      );
    });

    it('a wrong passphrase: a clear error, nothing imported', async () => {
      await refusedWithNothingImported(
        [
          'backup',
          'import',
          '--file',
          file('cryptech.json'),
          '--hsm',
          'hsm-b',
          '--passphrase-file',
          file('wrong-passphrase'),
        ],
        /^keyledger: the passphrase does not unwrap the software KEKEK \("kekek_pkcs8"\): wrong passphrase, or the file was altered; nothing was imported\n$/,
      );
    });

    it('no passphrase and no terminal to ask on: a usage error', async () => {
      const result = await cli(['backup', 'import', '--file', file('cryptech.json'), '--hsm', 'hsm-b']);
      expect(outcome(result)).toEqual({
        code: 2,
        stdout: '',
        stderr: expect.stringContaining(
          'needs a passphrase: give --passphrase-file (there is no terminal to ask on)',
        ),
      });
    });

    it('an entry the HSM cannot unwrap: the keys before it are deleted again, nothing is recorded', async () => {
      const damaged = JSON.parse(built.text) as BackupJson;
      const pkcs8 = Buffer.from(damaged.keys[1].pkcs8!.join(''), 'base64');
      pkcs8[pkcs8.length - 5] ^= 0x01;
      damaged.keys[1].pkcs8 = pythonB64(pkcs8);
      const before = await keys();
      const response = await svc.call('POST', '/v1/backups/import', {
        hsm: 'hsm-b',
        file: pythonJson(damaged),
        passphrase,
      });
      expect((await expectProblem(response, 422)).detail).toBe(
        `keys[1] (source key ${built.uuids.rsa}): hsm-b could not unwrap it under the KEKEK (KEYWRAP_BAD_MAGIC): the entry is damaged, or was written for another KEKEK; nothing was imported`,
      );
      expect(await keys()).toEqual(before);
      expect(await drift('hsm-b')).toEqual([]);
    });

    it('a setup file where a backup file belongs: a clear error', async () => {
      const response = await svc.call('POST', '/v1/backups/import', {
        hsm: 'hsm-b',
        file: fs.readFileSync(file('setup.json'), 'utf8'),
      });
      expect((await expectProblem(response, 422)).detail).toBe(
        '"keys" missing: this is a setup file ("KEKEK public key"), not a backup file',
      );
    });

    it('imports its private keys as new ledger keys with their provenance, skips its public key, and signs with them', async () => {
      const before = await keys();
      const imported = await cli([
        'backup',
        'import',
        '--file',
        file('cryptech.json'),
        '--hsm',
        'hsm-b',
        '--passphrase-file',
        file('passphrase'),
      ]);
      expect(outcome(imported)).toEqual({
        code: 0,
        stdout: expect.stringMatching(
          /imported 2 key\(s\) from .*cryptech\.json onto hsm-b \(2 new, 0 new holder\(s\)\); 1 skipped; file sha256 [0-9a-f]{12}…\n$/,
        ),
        stderr: '',
      });
      expect(imported.stdout).toContain('a public key: keyledger keeps custody of private keys only');
      expect(imported.stdout).not.toContain(passphrase);
      const after = await keys();
      const added = after.filter((k) => !before.some((b) => b.keyId === k.keyId));
      expect(added.map((k) => [k.keyId, k.type, k.publicKey])).toEqual([
        [backupKeyId(sha256(built.text), 0), 'ec', spkiOf(built.keys.ec.publicKey)],
        [backupKeyId(sha256(built.text), 1), 'rsa', spkiOf(built.keys.rsa.publicKey)],
      ]);
      for (const [k, name, flags] of [
        [added[0], 'ec', 0x29],
        [added[1], 'rsa', 0x2b],
      ] as const) {
        expect(onHsm(k, 'hsm-b')).toBe(true);
        expect(await signVerifies(svc, k, 'hsm-b')).toBe(true);
        const [generated] = await events(k.keyId);
        expect(generated.type).toBe('KeyGenerated');
        expect(generated.data.provenance).toEqual({
          format: 'cryptech-backup',
          fileSha256: sha256(built.text),
          sourceUuid: built.uuids[name],
          sourceFlags: flags,
          kekekSpkiSha256: createHash('sha256')
            .update(built.kekek.publicKey.export({ type: 'spki', format: 'der' }))
            .digest('hex'),
          kekekName: null,
        });
      }
      expect(await drift('hsm-b')).toEqual([]);
      // Again: the same keys, nothing recorded twice, no copy left behind.
      const again = await cli([
        'backup',
        'import',
        '--file',
        file('cryptech.json'),
        '--hsm',
        'hsm-b',
        '--passphrase-file',
        file('passphrase'),
        '--json',
      ]);
      expect(again.code).toBe(0);
      expect(
        (JSON.parse(again.stdout) as { items: { outcome: string }[] }).items.map((i) => i.outcome),
      ).toEqual(['already-on-hsm', 'already-on-hsm', 'skipped']);
      expect(await keys()).toEqual(after);
      expect(await drift('hsm-b')).toEqual([]);
    });
  });

  describe('a file Python writes by the same rules (python3 and its cryptography package)', () => {
    it('imports as new ledger keys with the public keys Python generated', async () => {
      requirePythonCryptography();
      const made = spawnSync('python3', ['-c', PYTHON_BACKUP, 'from python'], { encoding: 'utf8' });
      expect({ status: made.status, stderr: made.stderr }).toEqual({ status: 0, stderr: '' });
      const { file: text, spki } = JSON.parse(made.stdout) as { file: string; spki: string[] };
      fs.writeFileSync(file('python.json'), text);
      fs.writeFileSync(file('python-passphrase'), 'from python\n');
      const before = await keys();
      const imported = await cli([
        'backup',
        'import',
        '--file',
        file('python.json'),
        '--hsm',
        'hsm-b',
        '--passphrase-file',
        file('python-passphrase'),
      ]);
      expect(outcome(imported)).toEqual({
        code: 0,
        stdout: expect.stringContaining('(2 new, 0 new holder(s)); 0 skipped'),
        stderr: '',
      });
      const added = (await keys()).filter((k) => !before.some((b) => b.keyId === k.keyId));
      expect(
        (added as (KeyJson & { params: unknown })[]).map((k) => [k.type, k.params, k.publicKey]),
      ).toEqual([
        ['ec', { curve: 'P-384' }, spki[0]],
        ['rsa', { bits: 3072 }, spki[1]],
      ]);
      for (const k of added) expect(await signVerifies(svc, k, 'hsm-b')).toBe(true);
    });
  });

  describe('between two ledgers, under a software KEKEK made by backup setup --soft', () => {
    let other: Service;

    beforeAll(async () => {
      other = await startService({ prefix: 'kl-b2-' });
    }, 60_000);

    afterAll(async () => {
      await other?.close();
    });

    it("the second ledger imports the first one's keys as new keys with the same public keys, and signs with them", async () => {
      fs.writeFileSync(file('soft-passphrase'), 'the second site\n');
      const setup = await cli([
        'backup',
        'setup',
        '--soft',
        '-o',
        file('soft-setup.json'),
        '--passphrase-file',
        file('soft-passphrase'),
      ]);
      expect(outcome(setup)).toEqual({
        code: 0,
        stdout: expect.stringMatching(
          /^wrote .*soft-setup\.json: a software KEKEK \(RSA-2048, SPKI sha256 [0-9a-f]{12}…\) under your passphrase\n/,
        ),
        stderr: '',
      });
      const soft = JSON.parse(fs.readFileSync(file('soft-setup.json'), 'utf8')) as BackupJson;
      expect(Object.keys(soft)).toEqual(['comment', 'kekek_pkcs8', 'kekek_pubkey', 'kekek_salt']);
      expect(soft.comment).toBe('KEKEK software keypair');
      expect(Buffer.from(soft.kekek_salt!.join(''), 'base64')).toHaveLength(16);

      const source = [
        await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec', curve: 'P-521' }),
        await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'rsa', bits: 2048 }),
      ];
      const exported = await cli([
        'backup',
        'export',
        '--hsm',
        'hsm-a',
        '--setup',
        file('soft-setup.json'),
        '-o',
        file('to-b.json'),
        '--key',
        source[0].keyId,
        source[1].keyId,
      ]);
      expect(outcome(exported)).toEqual({
        code: 0,
        stdout: expect.stringMatching(/^wrote 2 key\(s\) from hsm-a/),
        stderr: '',
      });

      const imported = await cli(
        [
          'backup',
          'import',
          '--file',
          file('to-b.json'),
          '--hsm',
          'hsm-a',
          '--passphrase-file',
          file('soft-passphrase'),
        ],
        { KEYLEDGER_URL: other.url, KEYLEDGER_TOKEN: other.token },
      );
      expect(outcome(imported)).toEqual({
        code: 0,
        stdout: expect.stringMatching(/\(2 new, 0 new holder\(s\)\); 0 skipped/),
        stderr: '',
      });
      const there = await other.json<KeyJson[]>('GET', '/v1/keys');
      expect(there.map((k) => [k.type, k.publicKey])).toEqual(source.map((k) => [k.type, k.publicKey]));
      for (const k of there) expect(await signVerifies(other, k, 'hsm-a')).toBe(true);
      expect((await other.json<{ drift: unknown[] }>('POST', '/v1/hsms/hsm-a/reconcile')).drift).toEqual([]);
    });

    it('the file keyledger wrote opens outside keyledger: Python unwraps every key to the public key the ledgers hold', async () => {
      requirePythonCryptography();
      const read = spawnSync('python3', ['-c', PYTHON_READ, file('to-b.json'), 'the second site'], {
        encoding: 'utf8',
      });
      expect({ status: read.status, stderr: read.stderr }).toEqual({ status: 0, stderr: '' });
      const there = await other.json<KeyJson[]>('GET', '/v1/keys');
      expect(JSON.parse(read.stdout)).toEqual(there.map((k) => k.publicKey));
    });
  });
});
