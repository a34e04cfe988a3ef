import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  BACKUP_COMMENTS,
  BackupFileError,
  backupDocument,
  base64Lines,
  formatBackupJson,
  isSoftBackupText,
  parseBackupFile,
  parseSetupFile,
  setupDocument,
  type BackupEntry,
  type BackupKekek,
} from './cryptech-backup';
import { buildEncryptedPrivateKeyInfo } from './pkcs8';
import { OID } from './spki';

const kekekPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pubkey = kekekPair.publicKey.export({ type: 'spki', format: 'der' });
const ecSpki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
  type: 'spki',
  format: 'der',
});
const UUID = '5b0c9a4e-7d1f-4c2a-9e3b-1a2b3c4d5e6f';
const hsmKekek: BackupKekek = { kind: 'hsm', uuid: UUID, pubkey };
const softKekek: BackupKekek = {
  kind: 'soft',
  pubkey,
  pkcs8: buildEncryptedPrivateKeyInfo(OID.aes256WrapPad, randomBytes(1224)),
  salt: randomBytes(16),
};

const privateEntry = (index: number, kekBytes = 256): BackupEntry => ({
  kind: 'private',
  index,
  uuid: `00000000-0000-4000-8000-00000000000${index}`,
  flags: 0x29,
  pkcs8: buildEncryptedPrivateKeyInfo(OID.aes256WrapPad, randomBytes(160)),
  kek: buildEncryptedPrivateKeyInfo(OID.rsaEncryption, randomBytes(kekBytes)),
});
const publicEntry = (index: number): BackupEntry => ({
  kind: 'public',
  index,
  uuid: `00000000-0000-4000-8000-00000000000${index}`,
  flags: 0x10,
  spki: ecSpki,
});

const backupText = (keys: BackupEntry[], kekek: BackupKekek = hsmKekek) =>
  formatBackupJson(backupDocument(kekek, keys));

/** One backup file of two private keys. */
const BASE = backupText([privateEntry(0), privateEntry(1)]);

/** BASE as JSON, changed by `edit`, as text again. */
function edited(edit: (doc: Record<string, unknown> & { keys: Record<string, unknown>[] }) => void): string {
  const doc = JSON.parse(BASE) as Parameters<typeof edit>[0];
  edit(doc);
  return JSON.stringify(doc);
}

const refusal = (text: string) => {
  try {
    parseBackupFile(text);
  } catch (error) {
    if (error instanceof BackupFileError) return error.message;
    throw error;
  }
  throw new Error('the file was accepted');
};

describe('cryptech_backup files: writing as the tool does', () => {
  it('splits binary values into base64 lines of 76 characters, as Python 2 encodestring', () => {
    const bytes = randomBytes(200);
    const lines = base64Lines(bytes);
    expect(lines.map((l) => l.length)).toEqual([76, 76, 76, 40]);
    expect(Buffer.from(lines.join(''), 'base64')).toEqual(bytes);
    expect(base64Lines(new Uint8Array(57))).toHaveLength(1);
    expect(base64Lines(new Uint8Array(58))).toHaveLength(2);
  });

  it('writes a setup file with sorted keys and an indent of 4', () => {
    const text = formatBackupJson(setupDocument(hsmKekek));
    const lines = text.split('\n');
    expect(lines[0]).toBe('{');
    expect(lines[1]).toBe(`    "comment": "${BACKUP_COMMENTS.hsmSetup}",`);
    expect(lines[2]).toBe('    "kekek_pubkey": [');
    expect(lines[3]).toMatch(/^ {8}"[A-Za-z0-9+/]{76}",$/);
    expect(lines.at(-3)).toBe(`    "kekek_uuid": "${UUID}"`);
    expect(text.endsWith('}\n')).toBe(true);
    expect(parseSetupFile(text)).toEqual({ kekek: hsmKekek, modulusBytes: 256, bits: 2048 });
  });

  it('writes a backup file whose every object has its keys sorted, and reads it back', () => {
    const keys = [privateEntry(0), publicEntry(1), privateEntry(2)];
    const text = backupText(keys, softKekek);
    const doc = JSON.parse(text) as Record<string, unknown> & { keys: Record<string, unknown>[] };
    expect(Object.keys(doc)).toEqual(['comment', 'kekek_pkcs8', 'kekek_pubkey', 'kekek_salt', 'keys']);
    expect(doc.comment).toBe(BACKUP_COMMENTS.backup);
    expect(doc.keys.map((k) => Object.keys(k))).toEqual([
      ['comment', 'flags', 'kek', 'pkcs8', 'uuid'],
      ['comment', 'flags', 'spki', 'uuid'],
      ['comment', 'flags', 'kek', 'pkcs8', 'uuid'],
    ]);
    expect(doc.keys.map((k) => k.comment)).toEqual([
      BACKUP_COMMENTS.privateKey,
      BACKUP_COMMENTS.publicKey,
      BACKUP_COMMENTS.privateKey,
    ]);
    expect(parseBackupFile(text)).toEqual({ kekek: softKekek, modulusBytes: 256, bits: 2048, keys });
    expect(isSoftBackupText(text)).toBe(true);
    expect(isSoftBackupText(backupText(keys))).toBe(false);
    expect(isSoftBackupText('{"kekek_pkcs8": [')).toBe(false);
  });
});

describe('cryptech_backup files: reading what the tool reads', () => {
  it('reads Python 2 output (a space before each line break) and a binary value given as one string', () => {
    const python2 = backupText([privateEntry(0)]).replace(/,\n/g, ', \n');
    expect(parseBackupFile(python2).keys).toHaveLength(1);
    const oneString = edited((d) => {
      d.keys[0].pkcs8 = (d.keys[0].pkcs8 as string[]).join('');
    });
    expect(parseBackupFile(oneString).keys[0]).toEqual(parseBackupFile(BASE).keys[0]);
  });

  it('lowercases UUIDs, ignores fields the tool ignores, and reads an empty key list', () => {
    const text = edited((d) => {
      d.kekek_uuid = UUID.toUpperCase();
      d.keys[0].uuid = (d.keys[0].uuid as string).toUpperCase();
      d.keys[0].attributes = { '3': 'label' };
      d.extra = true;
    });
    const file = parseBackupFile(text);
    expect(file.kekek).toEqual(hsmKekek);
    expect(file.keys[0].uuid).toBe('00000000-0000-4000-8000-000000000000');
    expect(parseBackupFile(backupText([])).keys).toEqual([]);
  });
});

describe('cryptech_backup files: what is refused, naming the field', () => {
  it.each<[string, string, RegExp]>([
    [
      'a truncated file',
      backupText([privateEntry(0)]).slice(0, 700),
      /^the backup file is not valid JSON: it ends too early \(cut short\?\)$/,
    ],
    ['a JSON array', '[]', /^the backup file expected a JSON object, got a list$/],
    [
      'a setup file',
      formatBackupJson(setupDocument(hsmKekek)),
      /^"keys" missing: this is a setup file \("KEKEK public key"\), not a backup file$/,
    ],
    [
      'keys not a list',
      edited((d) => (d.keys = {} as never)),
      /^"keys" expected a list of entries, got an object$/,
    ],
    [
      'a number for pkcs8',
      edited((d) => (d.keys[1].pkcs8 = 42)),
      /^"keys\[1\]\.pkcs8" expected base64 lines \(a list of strings\), got the number 42$/,
    ],
    [
      'a damaged base64 line',
      edited((d) => ((d.keys[0].kek as string[])[1] = 'not base64!')),
      /^"keys\[0\]\.kek" expected base64 lines: the joined text is not standard padded base64/,
    ],
    [
      'a pkcs8 cut short',
      edited((d) => (d.keys[1].pkcs8 = (d.keys[1].pkcs8 as string[]).slice(0, 2))),
      /^"keys\[1\]\.pkcs8" /,
    ],
    [
      'a kek for another KEKEK',
      backupText([privateEntry(0), privateEntry(1, 512)]),
      /^"keys\[1\]\.kek" holds 512 bytes of encrypted KEK, but the KEKEK's modulus is 256 bytes/,
    ],
    [
      'a pkcs8 under another algorithm',
      edited(
        (d) =>
          (d.keys[0].pkcs8 = base64Lines(buildEncryptedPrivateKeyInfo(OID.rsaEncryption, randomBytes(160)))),
      ),
      /^"keys\[0\]\.pkcs8" expected algorithm id-aes256-wrap-pad, got 1\.2\.840\.113549\.1\.1\.1$/,
    ],
    [
      'an entry with pkcs8 and no kek',
      edited((d) => delete d.keys[1].kek),
      /^"keys\[1\]\.kek" missing: a private key entry needs both/,
    ],
    [
      'an entry with neither',
      edited((d) => (d.keys[0] = { uuid: UUID, flags: 1 })),
      /^"keys\[0\]" expected "pkcs8" and "kek" \(a private key\) or "spki" \(a public key\)$/,
    ],
    ['an entry without uuid', edited((d) => delete d.keys[1].uuid), /^"keys\[1\]\.uuid" missing$/],
    [
      'a bad uuid',
      edited((d) => (d.keys[1].uuid = 'k1')),
      /^"keys\[1\]\.uuid" expected a UUID, got text of 2 characters$/,
    ],
    [
      'negative flags',
      edited((d) => (d.keys[0].flags = -1)),
      /^"keys\[0\]\.flags" expected an integer 0 … 4294967295, got the number -1$/,
    ],
    [
      'an EC KEKEK',
      edited((d) => (d.kekek_pubkey = base64Lines(ecSpki))),
      /^"kekek_pubkey" expected an RSA SubjectPublicKeyInfo: /,
    ],
    [
      'no KEKEK named',
      edited((d) => delete d.kekek_uuid),
      /^"kekek_uuid" missing: the file names neither a KEKEK on an HSM/,
    ],
    [
      'half a software KEKEK',
      edited((d) => (d.kekek_salt = base64Lines(randomBytes(16)))),
      /^"kekek_pkcs8" missing: a software KEKEK needs both/,
    ],
    [
      'a private key as spki',
      edited(
        (d) =>
          (d.keys[0] = {
            uuid: UUID,
            spki: base64Lines(kekekPair.privateKey.export({ type: 'pkcs8', format: 'der' })),
          }),
      ),
      /^"keys\[0\]\.spki" expected a SubjectPublicKeyInfo, got a private key$/,
    ],
  ])('%s', (_label, text, message) => {
    expect(refusal(text)).toMatch(message);
  });

  it('bounds the file, the entries and each value', () => {
    expect(refusal(' '.repeat(4 * 1024 * 1024 + 1))).toMatch(/more than 4194304$/);
    expect(refusal(edited((d) => (d.keys = new Array(4097).fill({}) as never)))).toBe(
      '"keys" expected at most 4096 entries, got 4097',
    );
    expect(refusal(edited((d) => (d.keys[0].kek = base64Lines(randomBytes(3000)))))).toMatch(
      /^"keys\[0\]\.kek" expected at most 2048 bytes/,
    );
  });

  it('says where JSON breaks by line and column, without quoting the text around it', () => {
    const secret = 'c2VjcmV0IGtleSBtYXRlcmlhbA';
    expect(refusal(`{\n    "kekek_pubkey": ["${secret}"] x\n}`)).toBe(
      'the backup file is not valid JSON at line 2, column 52 (damaged?)',
    );
    expect(refusal(`{"keys": [}, "s": "${secret}"}`)).toBe('the backup file is not valid JSON (damaged?)');
    expect(refusal('')).toBe('the backup file is not valid JSON: it ends too early (cut short?)');
  });

  it('never quotes a value in a refusal (it may be key material)', () => {
    const secret = 'c2VjcmV0IGtleSBtYXRlcmlhbA';
    expect(refusal(edited((d) => (d.keys[0].pkcs8 = [secret, '!'])))).not.toContain(secret);
    expect(refusal(edited((d) => (d.keys[0].uuid = secret)))).not.toContain(secret);
  });
});
