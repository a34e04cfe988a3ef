import { createHash, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import vectors from '../../test/vectors/c2sp-signed-notes.json';
import { thrown } from '../../test/support/bytes';
import { ArgumentError } from '../lib/errors';
import { p1363ToDer } from './ecdsa-signature';
import {
  InvalidNoteSignature,
  MalformedNote,
  MalformedVerifierKey,
  NoteNotVerified,
  NoteSignerFailed,
} from './errors';
import {
  ecdsaKeyId,
  encodeVerifierKey,
  MAX_NOTE_BYTES,
  parseNote,
  parseVerifierKey,
  signNote,
  verifyNote,
  type NoteSigner,
  type VerifierKey,
} from './note';

/**
 * c2sp.org/signed-note and the type 0x02 key ID, read straight from the spec with node:crypto and
 * nothing from note.ts: the text ends at the last blank line; each later line is "— name base64";
 * the base64 holds the key ID (SHA-256 of the SPKI, first four bytes) and a DER ECDSA signature
 * over SHA-256 of the text. Answers the text if a line by (name, key) verifies, else null.
 */
function independentVerify(note: string, name: string, spki: Buffer): string | null {
  const split = note.lastIndexOf('\n\n');
  const text = note.slice(0, split + 1);
  const keyId = createHash('sha256').update(spki).digest().subarray(0, 4);
  const lines = note.slice(split + 2).split('\n');
  if (lines.pop() !== '') return null;
  let verified = false;
  for (const line of lines) {
    const [dash, lineName, b64, ...rest] = line.split(' ');
    if (dash !== '\u2014' || rest.length > 0) return null;
    const bytes = Buffer.from(b64, 'base64');
    if (lineName !== name || !bytes.subarray(0, 4).equals(keyId)) continue;
    const key = { key: spki, format: 'der', type: 'spki' } as const;
    if (!verify('sha256', Buffer.from(text, 'utf8'), key, bytes.subarray(4))) return null;
    verified = true;
  }
  return verified ? text : null;
}

function p256(): { privateKey: KeyObject; spki: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

const NAME = 'keyledger.example/audit';
const key = p256();
const other = p256();
const signed: Buffer[] = [];
/** The HSM's checkpoint key, played by node:crypto; records what it was asked to sign. */
const signer: NoteSigner = {
  name: NAME,
  spki: key.spki,
  sign: async (message) => {
    signed.push(Buffer.from(message));
    return sign('sha256', message, key.privateKey);
  },
};
const vkey: VerifierKey = parseVerifierKey(encodeVerifierKey(NAME, key.spki));

/** A signature line built by hand, as another signer (or an attacker) would. */
function line(name: string, keyId: Buffer | number, signature: Uint8Array): string {
  const id = typeof keyId === 'number' ? Buffer.from(keyId.toString(16).padStart(8, '0'), 'hex') : keyId;
  return `\u2014 ${name} ${Buffer.concat([id, signature]).toString('base64')}\n`;
}
const keyIdOf = (spki: Buffer): Buffer => createHash('sha256').update(spki).digest().subarray(0, 4);
const TEXT = 'keyledger.example/audit\n42\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';

describe('published ECDSA notes (test/vectors/c2sp-signed-notes.json)', () => {
  describe.each(vectors.ecdsa)('$label', (v) => {
    const spki = Buffer.from(v.spki, 'hex');

    it('parses the verifier key, whose key ID is SHA-256(SPKI)[:4], and writes it back unchanged', () => {
      const parsed = parseVerifierKey(v.verifierKey);
      expect([parsed.name, parsed.keyId, parsed.spki.toString('hex')]).toEqual([
        v.name,
        parseInt(v.keyId, 16),
        v.spki,
      ]);
      expect(ecdsaKeyId(spki)).toBe(parseInt(v.keyId, 16));
      expect(encodeVerifierKey(v.name, spki)).toBe(v.verifierKey);
    });

    it('verifies, by note.ts and by the independent reading alike', () => {
      expect(verifyNote(v.note, parseVerifierKey(v.verifierKey))).toBe(v.text);
      expect(independentVerify(v.note, v.name, spki)).toBe(v.text);
    });

    it('is refused once its text is altered', () => {
      const altered = v.note.replace(/\n\d+\n/, (m) => m.replace(/\d\n/, (d) => `${(+d[0] + 1) % 10}\n`));
      expect(altered).not.toBe(v.note);
      expect(thrown(() => verifyNote(altered, parseVerifierKey(v.verifierKey)))).toBeInstanceOf(
        InvalidNoteSignature,
      );
      expect(independentVerify(altered, v.name, spki)).toBeNull();
    });
  });

  it.each(vectors.refusals)('$label: refused, no line is by the key', ({ note, verifierKey }) => {
    expect(thrown(() => verifyNote(note, parseVerifierKey(verifierKey)))).toBeInstanceOf(NoteNotVerified);
  });

  it.each(vectors.badVerifierKeys)('$label: a MalformedVerifierKey', ({ verifierKey }) => {
    expect(thrown(() => parseVerifierKey(verifierKey))).toBeInstanceOf(MalformedVerifierKey);
  });

  it.each(vectors.otherNotes)(
    '$label: parses; our key finds no line of its own',
    ({ note, text, signatures }) => {
      const parsed = parseNote(note);
      expect(parsed.text).toBe(text);
      expect(
        parsed.signatures.map((s) => ({ name: s.name, keyId: s.keyId.toString(16).padStart(8, '0') })),
      ).toEqual(signatures);
      expect(thrown(() => verifyNote(note, vkey))).toBeInstanceOf(NoteNotVerified);
    },
  );
});

describe('signNote with a node:crypto P-256 key', () => {
  it.each([
    ['a checkpoint', TEXT],
    ['UTF-8 beyond ASCII and blank lines inside', 'prova — è\n\n🌍 ledger\n\n'],
    ['one empty line', '\n'],
  ])('signs %s: one line "— name base64(key ID ‖ DER)" after a blank line', async (_, text) => {
    signed.length = 0;
    const note = await signNote(text, signer);
    expect(signed).toEqual([Buffer.from(text, 'utf8')]);
    expect(note.startsWith(`${text}\n\u2014 ${NAME} `)).toBe(true);
    expect(note.endsWith('\n')).toBe(true);
    expect(independentVerify(note, NAME, key.spki)).toBe(text);
    expect(verifyNote(note, vkey)).toBe(text);
  });

  it('signs with an HSM that answers raw r ‖ s, once converted to DER', async () => {
    const hsm: NoteSigner = {
      ...signer,
      sign: async (m) => p1363ToDer(sign('sha256', m, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })),
    };
    expect(independentVerify(await signNote(TEXT, hsm), NAME, key.spki)).toBe(TEXT);
  });

  it('writes the verifier key as name+hex(SHA-256(SPKI)[:4])+base64(0x02 ‖ SPKI)', () => {
    const expected = `${NAME}+${keyIdOf(key.spki).toString('hex')}+${Buffer.concat([Buffer.of(2), key.spki]).toString('base64')}`;
    expect(encodeVerifierKey(NAME, key.spki)).toBe(expected);
  });

  it.each([
    [
      'text without its final newline',
      () => signNote('a\nb', signer),
      ArgumentError,
      '"text" expected a string ending in a newline',
    ],
    [
      'a carriage return',
      () => signNote('a\r\n', signer),
      ArgumentError,
      '"text" holds a control character U+000d at offset 1',
    ],
    ['an unpaired surrogate', () => signNote('a\ud800\n', signer), ArgumentError, 'unpaired surrogate'],
    [
      'too long a text',
      () => signNote('a'.repeat(MAX_NOTE_BYTES) + '\n', signer),
      ArgumentError,
      'at most 262144 bytes',
    ],
    [
      'a name with a space',
      () => signNote(TEXT, { ...signer, name: 'a b' }),
      ArgumentError,
      '"signer.name" expected a key name',
    ],
    ['a name with "+"', () => signNote(TEXT, { ...signer, name: 'a+b' }), ArgumentError, '"signer.name"'],
    [
      'a P-384 key',
      () =>
        signNote(TEXT, {
          ...signer,
          spki: generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({
            type: 'spki',
            format: 'der',
          }),
        }),
      ArgumentError,
      '"signer.spki" expected a P-256 key, got P-384',
    ],
    [
      'a signer answering raw r ‖ s',
      () =>
        signNote(TEXT, {
          ...signer,
          sign: async (m) => sign('sha256', m, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }),
        }),
      NoteSignerFailed,
      'not a DER ECDSA P-256 signature',
    ],
    [
      'a signer signing with another key',
      () => signNote(TEXT, { ...signer, sign: async (m) => sign('sha256', m, other.privateKey) }),
      NoteSignerFailed,
      'verification failed',
    ],
    [
      'a signer answering a string',
      () => signNote(TEXT, { ...signer, sign: async () => 'sig' as unknown as Buffer }),
      NoteSignerFailed,
      'not bytes',
    ],
  ])('refuses %s', async (_, call, errorClass, part) => {
    const e = await call().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(errorClass);
    expect((e as Error).message).toContain(part);
  });
});

describe('verifyNote', () => {
  let note: string;
  beforeAll(async () => {
    note = await signNote(TEXT, signer);
  });
  const ours = (): string => note.slice(note.lastIndexOf('\n\n') + 2);
  const foreign = (): string =>
    line('witness.example/w1', 0x01020304, sign('sha256', Buffer.from(TEXT), other.privateKey));

  it('ignores lines by other keys, before and after ours', () => {
    const many = `${TEXT}\n${foreign()}${ours()}${line(NAME, 0xdeadbeef, Buffer.alloc(70, 1))}`;
    expect(verifyNote(many, vkey)).toBe(TEXT);
    expect(independentVerify(many, NAME, key.spki)).toBe(TEXT);
  });

  it('accepts a note the test signs by hand from the spec', () => {
    const byHand = `${TEXT}\n${line(NAME, keyIdOf(key.spki), sign('sha256', Buffer.from(TEXT), key.privateKey))}`;
    expect(verifyNote(byHand, vkey)).toBe(TEXT);
  });

  it('accepts 100 signature lines and refuses 101', () => {
    const lines = (n: number): string => `${TEXT}\n${ours()}${foreign().repeat(n - 1)}`;
    expect(verifyNote(lines(100), vkey)).toBe(TEXT);
    expect(thrown(() => verifyNote(lines(101), vkey))).toMatchObject({
      type: 'malformed-note',
      message: 'malformed signed note: 101 signature lines exceed the limit of 100',
    });
  });

  it.each([
    ['the text altered', () => note.replace('\n42\n', '\n43\n'), InvalidNoteSignature],
    [
      'a second line by the key that fails',
      () => `${note}${line(NAME, keyIdOf(key.spki), sign('sha256', Buffer.from('x'), key.privateKey))}`,
      InvalidNoteSignature,
    ],
    [
      'a line by the key that is not DER',
      () => `${TEXT}\n${line(NAME, keyIdOf(key.spki), Buffer.alloc(64, 7))}`,
      InvalidNoteSignature,
    ],
    [
      'only a line of another key ID under our name',
      () =>
        `${TEXT}\n${line(NAME, keyIdOf(other.spki), sign('sha256', Buffer.from(TEXT), other.privateKey))}`,
      NoteNotVerified,
    ],
    [
      'only a line of our key ID under another name',
      () => note.replace(`\u2014 ${NAME} `, '\u2014 keyledger.example/other '),
      NoteNotVerified,
    ],
    ['only lines of other keys', () => `${TEXT}\n${foreign()}`, NoteNotVerified],
  ])('refuses a note with %s', (_, make, errorClass) => {
    expect(thrown(() => verifyNote(make(), vkey))).toBeInstanceOf(errorClass);
  });

  it('refuses a key that collides on name and key ID but is another key', () => {
    const impostor: VerifierKey = {
      ...vkey,
      spki: other.spki,
      publicKey: parseVerifierKey(encodeVerifierKey(NAME, other.spki)).publicKey,
    };
    expect(thrown(() => verifyNote(note, impostor))).toMatchObject({
      type: 'invalid-note-signature',
      message: `signature line 1 by ${NAME}+${keyIdOf(key.spki).toString('hex')} does not verify: ECDSA P-256 / SHA-256 verification failed`,
    });
  });

  it.each([
    ['a hyphen for the em dash', (n: string) => n.replace('\u2014', '-')],
    ['an en dash for the em dash', (n: string) => n.replace('\u2014', '\u2013')],
    ['two spaces after the name', (n: string) => n.replace(`${NAME} `, `${NAME}  `)],
    ['a tab after the name', (n: string) => n.replace(`${NAME} `, `${NAME}\t`)],
    ['no signature', (n: string) => n.replace(/ [^ ]*\n$/, '\n')],
    ['base64 one character short', (n: string) => n.replace(/.\n$/, '\n')],
    ['a URL-safe base64 character', (n: string) => n.replace(/ ([^ ]{4})[^ ]([^ ]*)\n$/, ' $1_$2\n')],
    [
      'a signature of 4 bytes',
      (n: string) => n.replace(/ [^ ]*\n$/, ` ${Buffer.alloc(4).toString('base64')}\n`),
    ],
    ['a name with "+"', (n: string) => n.replace(`\u2014 ${NAME}`, `\u2014 ${NAME}+x`)],
    ['a name with a no-break space', (n: string) => n.replace(`\u2014 ${NAME}`, `\u2014 a\u00a0b`)],
    ['an empty name', (n: string) => n.replace(`\u2014 ${NAME}`, '\u2014 ')],
    ['no final newline', (n: string) => n.slice(0, -1)],
    ['no blank line', (n: string) => n.replace('\n\n', '\n')],
    ['a blank line but no signature', () => `${TEXT}\n`],
    ['a carriage return', (n: string) => n.replace('\n42', '\r\n42')],
    ['a NUL', (n: string) => n.replace('42', '4\u00002')],
    ['an unpaired surrogate', (n: string) => n.replace('42', '4\udc002')],
    ['more than 256 KiB', (n: string) => 'a'.repeat(MAX_NOTE_BYTES) + n],
    ['256 KiB of 3-byte characters', (n: string) => '\u2014'.repeat(MAX_NOTE_BYTES / 3) + n],
  ])('refuses as malformed a note with %s', (_, mangle) => {
    const e = thrown(() => verifyNote(mangle(note), vkey));
    expect(e).toBeInstanceOf(MalformedNote);
    expect(e).toMatchObject({ type: 'malformed-note' });
  });

  it('refuses what is not a string', () => {
    expect(thrown(() => parseNote(Buffer.from(note) as unknown as string))).toBeInstanceOf(MalformedNote);
  });
});

describe('parseVerifierKey refusals', () => {
  const good = encodeVerifierKey(NAME, key.spki);
  const [name, id, material] = [NAME, good.split('+')[1], good.slice(NAME.length + 10)];
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  const typed = (spki: Buffer, type = 2): string => Buffer.concat([Buffer.of(type), spki]).toString('base64');
  const idOf = (spki: Buffer): string => keyIdOf(spki).toString('hex');

  it.each([
    [
      'an uppercase key ID',
      `${name}+${id.toUpperCase()}+${material}`,
      /key ID "[0-9A-F]{8}" is not 8 lowercase hex digits/,
    ],
    ['a 7-digit key ID', `${name}+${id.slice(1)}+${material}`, /is not 8 lowercase hex digits/],
    [
      'a key ID of another key',
      `${name}+${idOf(other.spki)}+${material}`,
      /key ID [0-9a-f]{8} is not [0-9a-f]{8}, the key's/,
    ],
    ['base64 without padding', `${name}+${id}+${material.replace(/=+$/, '')}`, /not canonical base64/],
    ['a P-384 key', `${name}+${idOf(p384)}+${typed(p384)}`, /expected a P-256 key, got P-384/],
    [
      'bytes after the SPKI',
      `${name}+${idOf(Buffer.concat([key.spki, Buffer.of(0)]))}+${typed(Buffer.concat([key.spki, Buffer.of(0)]))}`,
      /trailing bytes/,
    ],
    ['type 0x05', `${name}+${id}+${typed(key.spki, 5)}`, /signature type 0x05 is not 0x02/],
    ['a name with a space', `a b+${id}+${material}`, /the name is empty or holds a space/],
    ['an empty name', `+${id}+${material}`, /the name is empty/],
    ['two parts', `${name}+${id}`, /expected <name>\+<key ID>\+<key>/],
    ['1025 characters', `${name}+${id}+${material}${'A'.repeat(1025)}`, /at most 1024 characters/],
  ])('%s', (_, text, message) => {
    const e = thrown(() => parseVerifierKey(text));
    expect(e).toBeInstanceOf(MalformedVerifierKey);
    expect((e as Error).message).toMatch(message);
  });

  it('refuses a key name or SPKI it cannot write, with labelled ArgumentErrors', () => {
    expect(thrown(() => encodeVerifierKey('a+b', key.spki))).toMatchObject({ field: 'name' });
    expect(thrown(() => encodeVerifierKey(NAME, p384))).toMatchObject({ field: 'spki' });
  });
});
