import vectors from '../../test/vectors/c2sp-signed-notes.json';
import { hex, thrown, toHex } from '../../test/support/bytes';
import { generateKeyPairSync, sign } from 'node:crypto';
import { ArgumentError } from '../lib/errors';
import { buildCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint';
import { MalformedCheckpoint } from './errors';
import { encodeVerifierKey, parseVerifierKey, signNote, verifyNote } from './note';

const ROOT = hex('0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62');
const B64 = Buffer.from(ROOT).toString('base64');
const published = [...vectors.ecdsa, ...vectors.otherNotes.filter((n) => 'checkpoint' in n)] as {
  label: string;
  text: string;
  checkpoint: { origin: string; size: number; rootHash: string };
}[];
const plain = (c: Checkpoint) => ({ ...c, rootHash: toHex(c.rootHash) });

describe('published checkpoints (test/vectors/c2sp-signed-notes.json)', () => {
  it.each(published)('$label: parses, and builds back to the same text', ({ text, checkpoint }) => {
    expect(plain(parseCheckpoint(text))).toEqual({ ...checkpoint, extensions: [] });
    const { origin, size, rootHash } = checkpoint;
    if (!/^[^ +]+$/.test(origin)) return;
    expect(buildCheckpoint({ origin, size, rootHash: hex(rootHash), extensions: [] })).toBe(text);
  });
});

describe('round trips', () => {
  it.each([
    ['the empty tree', { origin: 'keyledger.example/ledger', size: 0, rootHash: ROOT, extensions: [] }],
    ['one extension line', { origin: 'o', size: 1, rootHash: ROOT, extensions: ['timestamp 1700000000'] }],
    ['two extension lines', { origin: 'o', size: 42, rootHash: ROOT, extensions: ['a b', '— è'] }],
    ['the largest size', { origin: 'o', size: Number.MAX_SAFE_INTEGER, rootHash: ROOT, extensions: [] }],
  ])('%s', (_, checkpoint) => {
    const text = buildCheckpoint(checkpoint);
    expect(text).toBe(
      [checkpoint.origin, String(checkpoint.size), B64, ...checkpoint.extensions, ''].join('\n'),
    );
    expect(plain(parseCheckpoint(text))).toEqual(plain(checkpoint));
  });

  it('survives signing and verification as a note', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const origin = 'keyledger.example/ledger';
    const checkpoint = { origin, size: 1234, rootHash: ROOT, extensions: [] };
    const note = await signNote(buildCheckpoint(checkpoint), {
      name: origin,
      spki,
      sign: async (m) => sign('sha256', m, privateKey),
    });
    const text = verifyNote(note, parseVerifierKey(encodeVerifierKey(origin, spki)));
    expect(plain(parseCheckpoint(text))).toEqual(plain(checkpoint));
  });

  it('parses any non-empty origin, as clients must not assume its form', () => {
    expect(parseCheckpoint(`a log + more\n7\n${B64}\n`).origin).toBe('a log + more');
  });
});

describe('parseCheckpoint refusals', () => {
  it.each([
    ['a size with a leading zero', `o\n042\n${B64}\n`, 'the tree size (line 2) is not a decimal number'],
    ['a size of 00', `o\n00\n${B64}\n`, 'the tree size (line 2) is not a decimal number'],
    ['a negative size', `o\n-1\n${B64}\n`, 'the tree size (line 2) is not a decimal number'],
    ['a signed size', `o\n+1\n${B64}\n`, 'the tree size (line 2) is not a decimal number'],
    ['an exponent', `o\n1e3\n${B64}\n`, 'the tree size (line 2) is not a decimal number'],
    ['a space before the size', `o\n 1\n${B64}\n`, 'the tree size (line 2) is not a decimal number'],
    ['a size of 2^53', `o\n9007199254740992\n${B64}\n`, 'tree size 9007199254740992 exceeds 2^53 − 1'],
    ['a size of 2^64 − 1', `o\n18446744073709551615\n${B64}\n`, 'exceeds 2^53 − 1'],
    ['a 31-byte root', `o\n1\n${Buffer.alloc(31).toString('base64')}\n`, 'not canonical base64 of 32 bytes'],
    ['a root without padding', `o\n1\n${B64.slice(0, -1)}\n`, 'not canonical base64 of 32 bytes'],
    ['a hex root', `o\n1\n${toHex(ROOT)}\n`, 'not canonical base64 of 32 bytes'],
    ['two lines', `o\n1\n`, 'expected at least 3 lines, got 2'],
    ['an empty origin', `\n1\n${B64}\n`, 'line 1 is empty'],
    ['an empty extension line', `o\n1\n${B64}\n\n`, 'line 4 is empty'],
    ['an empty line between extensions', `o\n1\n${B64}\na\n\nb\n`, 'line 5 is empty'],
    ['no final newline', `o\n1\n${B64}`, 'the text must end in a newline'],
    ['a carriage return', `o\r\n1\n${B64}\n`, 'control character U+000d at offset 1'],
    ['an oversize text', `o\n1\n${B64}\n${'x'.repeat(262144)}\n`, 'longer than 262144 characters'],
  ])('%s', (_, text, part) => {
    const e = thrown(() => parseCheckpoint(text));
    expect(e).toBeInstanceOf(MalformedCheckpoint);
    expect((e as Error).message).toContain(part);
  });

  it('refuses what is not a string', () => {
    expect(thrown(() => parseCheckpoint(42 as unknown as string))).toMatchObject({
      type: 'malformed-checkpoint',
    });
  });
});

describe('buildCheckpoint refusals, naming the field', () => {
  const ok: Checkpoint = { origin: 'o', size: 1, rootHash: ROOT, extensions: [] };
  it.each([
    ['origin', { ...ok, origin: '' }],
    ['origin', { ...ok, origin: 'a log' }],
    ['origin', { ...ok, origin: 'a+b' }],
    ['size', { ...ok, size: -1 }],
    ['size', { ...ok, size: 1.5 }],
    ['size', { ...ok, size: 2 ** 53 }],
    ['rootHash', { ...ok, rootHash: ROOT.subarray(1) }],
    ['extensions', { ...ok, extensions: 'a' as unknown as string[] }],
    ['extensions[0]', { ...ok, extensions: [''] }],
    ['extensions[1]', { ...ok, extensions: ['a', 'b\nc'] }],
    ['extensions[0]', { ...ok, extensions: ['tab\there'] }],
  ])('%s', (field, checkpoint) => {
    const e = thrown(() => buildCheckpoint(checkpoint));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e).toMatchObject({ field });
  });
});
