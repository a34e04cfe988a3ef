/**
 * C2SP signed notes (c2sp.org/signed-note) signed with signature type 0x02, "ECDSA signatures as
 * implemented by github.com/transparency-dev/witness". What that implementation does
 * (transparency-dev/formats, note/note_verifier.go, NewECDSAVerifier):
 * - the signature is ECDSA over SHA-256 of the note text, encoded as DER Ecdsa-Sig-Value;
 * - the key ID is the first four bytes of SHA-256 of the DER SubjectPublicKeyInfo alone (not the
 *   spec's recommended hash over name, newline, type and key);
 * - the verifier key is `<name>+<hex key ID>+<base64(0x02 ‖ SPKI DER)>`.
 * Only P-256 keys are taken: the spec's SHOULD, and the curve of the HSM's checkpoint key.
 *
 * Stricter than golang.org/x/mod/sumdb/note where that costs nothing: canonical base64 only,
 * lowercase hex key IDs, a bound on the size of a note, and every signature line by the verifier
 * key is checked (the Go parser checks the first and drops repeats).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { abytes } from '../lib/bytes';
import { ArgumentError } from '../lib/errors';
import { sha256 } from '../lib/sha256';
import { parseEcSpki } from '../lib/spki';
import { derToP1363, P256_DER_SIGNATURE_MAX_BYTES } from './ecdsa-signature';
import {
  InvalidNoteSignature,
  MalformedNote,
  MalformedVerifierKey,
  NoteNotVerified,
  NoteSignerFailed,
} from './errors';
import { isKeyName, strictBase64, textProblem } from './text';

export const SIGNATURE_TYPE_ECDSA = 0x02;
/** The spec: verifiers SHOULD bound the signatures and MUST take at least 16; the Go parser stops at 100. */
export const MAX_NOTE_SIGNATURES = 100;
/** 16 post-quantum signature lines (up to ~6.7 kB in base64 each, per the spec) fit with room to spare. */
export const MAX_NOTE_BYTES = 256 * 1024;
const MAX_VERIFIER_KEY_CHARS = 1024;
const SIGNATURE_PREFIX = '\u2014 '; // em dash, space

/** Signs the note text's UTF-8 bytes with ECDSA P-256 / SHA-256; answers DER (see ./ecdsa-signature). */
export interface NoteSigner {
  readonly name: string;
  readonly spki: Uint8Array;
  sign(message: Buffer): Promise<Buffer>;
}

/** What parseVerifierKey reads: `publicKey` is `spki` made usable by node:crypto. */
export interface VerifierKey {
  readonly name: string;
  readonly keyId: number;
  readonly spki: Buffer;
  readonly publicKey: KeyObject;
}

export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** The bytes after the key ID: for type 0x02, DER Ecdsa-Sig-Value. */
  readonly signature: Buffer;
}

export interface SignedNote {
  /** Up to and including the newline before the blank line. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

const hex8 = (keyId: number): string => keyId.toString(16).padStart(8, '0');
const keyLabel = (name: string, keyId: number): string => `${name}+${hex8(keyId)}`;

/** The type 0x02 key ID: SHA-256(SPKI DER)[:4], big-endian. */
export function ecdsaKeyId(spki: Uint8Array): number {
  abytes(spki, 'spki');
  return sha256(spki).readUInt32BE(0);
}

/**
 * The key of a strict DER P-256 SPKI (../lib/spki) whose point node:crypto accepts; otherwise a
 * DerError, UnsupportedKeyError or ArgumentError.
 */
function p256Key(spki: Uint8Array, field: string): KeyObject {
  abytes(spki, field);
  const { curve } = parseEcSpki(spki);
  if (curve !== 'P-256') throw new ArgumentError(field, `"${field}" expected a P-256 key, got ${curve}`);
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (e) {
    throw new ArgumentError(field, `"${field}" is not a usable P-256 key: ${(e as Error).message}`);
  }
}

export function encodeVerifierKey(name: string, spki: Uint8Array): string {
  if (typeof name !== 'string' || !isKeyName(name))
    throw new ArgumentError('name', '"name" expected a key name: non-empty, no spaces, no "+"');
  p256Key(spki, 'spki');
  const key = Buffer.concat([Buffer.of(SIGNATURE_TYPE_ECDSA), spki]).toString('base64');
  return `${keyLabel(name, ecdsaKeyId(spki))}+${key}`;
}

/** Parses `<name>+<8 lowercase hex>+<base64(0x02 ‖ SPKI)>`, checking the key ID against the key. */
export function parseVerifierKey(vkey: string): VerifierKey {
  if (typeof vkey !== 'string' || vkey.length > MAX_VERIFIER_KEY_CHARS)
    throw new MalformedVerifierKey(`expected a string of at most ${MAX_VERIFIER_KEY_CHARS} characters`);
  // The name holds no "+", the key ID neither; the base64 may.
  const m = /^([^+]*)\+([^+]*)\+(.*)$/s.exec(vkey);
  if (!m) throw new MalformedVerifierKey('expected <name>+<key ID>+<key>');
  const [, name, id, key64] = m;
  if (!isKeyName(name))
    throw new MalformedVerifierKey('the name is empty or holds a space or a control character');
  if (!/^[0-9a-f]{8}$/.test(id))
    throw new MalformedVerifierKey(`key ID "${id}" is not 8 lowercase hex digits`);
  const bytes = strictBase64(key64);
  if (!bytes || bytes.length < 2)
    throw new MalformedVerifierKey('the key is not canonical base64 of a type and a key');
  if (bytes[0] !== SIGNATURE_TYPE_ECDSA)
    throw new MalformedVerifierKey(
      `signature type 0x${bytes[0].toString(16).padStart(2, '0')} is not 0x02 (ECDSA)`,
    );
  const spki = bytes.subarray(1);
  let publicKey: KeyObject;
  try {
    publicKey = p256Key(spki, 'spki');
  } catch (e) {
    throw new MalformedVerifierKey(`the key is not a P-256 SubjectPublicKeyInfo: ${(e as Error).message}`);
  }
  const keyId = ecdsaKeyId(spki);
  if (parseInt(id, 16) !== keyId)
    throw new MalformedVerifierKey(`key ID ${id} is not ${hex8(keyId)}, the key's`);
  return { name, keyId, spki, publicKey };
}

/** Splits a note into its text and signature lines (Format section); verifies nothing. */
export function parseNote(note: string): SignedNote {
  if (typeof note !== 'string') throw new MalformedNote('expected a string');
  if (note.length > MAX_NOTE_BYTES || Buffer.byteLength(note) > MAX_NOTE_BYTES)
    throw new MalformedNote(`larger than ${MAX_NOTE_BYTES} bytes`);
  const problem = textProblem(note);
  if (problem) throw new MalformedNote(problem);
  // The text ends at the last blank line: signature lines are never empty.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new MalformedNote('no blank line before the signatures');
  const block = note.slice(split + 2);
  if (!block.endsWith('\n'))
    throw new MalformedNote('the signatures must be lines, each ending in a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES)
    throw new MalformedNote(`${lines.length} signature lines exceed the limit of ${MAX_NOTE_SIGNATURES}`);
  const signatures = lines.map((line, i) => {
    const m = /^\u2014 ([^ ]*) ([^ ]*)$/.exec(line);
    if (!m) throw new MalformedNote(`signature line ${i + 1} is not "${SIGNATURE_PREFIX}<name> <base64>"`);
    const bytes = strictBase64(m[2]);
    if (!isKeyName(m[1])) throw new MalformedNote(`signature line ${i + 1} has an invalid key name`);
    if (!bytes || bytes.length < 5)
      throw new MalformedNote(`signature line ${i + 1} is not canonical base64 of a key ID and a signature`);
    return { name: m[1], keyId: bytes.readUInt32BE(0), signature: bytes.subarray(4) };
  });
  return { text: note.slice(0, split + 1), signatures };
}

/**
 * The note's text, once a signature by `key` verifies. Lines by other keys (another name or
 * another key ID) are ignored, as the spec requires; a line by `key` that fails refuses the note.
 */
export function verifyNote(note: string, key: VerifierKey): string {
  const { text, signatures } = parseNote(note);
  const label = keyLabel(key.name, key.keyId);
  const message = Buffer.from(text, 'utf8');
  let verified = 0;
  signatures.forEach((s, i) => {
    if (s.name !== key.name || s.keyId !== key.keyId) return;
    const problem = signatureProblem(message, s.signature, key.publicKey);
    if (problem) throw new InvalidNoteSignature(label, i + 1, problem);
    verified++;
  });
  if (verified === 0) throw new NoteNotVerified(label, signatures.length);
  return text;
}

/** Signs `text` (which ends in a newline) and answers the signed note: text, blank line, one signature line. */
export async function signNote(text: string, signer: NoteSigner): Promise<string> {
  if (typeof text !== 'string' || !text.endsWith('\n'))
    throw new ArgumentError('text', '"text" expected a string ending in a newline');
  const problem = textProblem(text);
  if (problem) throw new ArgumentError('text', `"text" holds a ${problem}`);
  if (typeof signer?.name !== 'string' || !isKeyName(signer.name))
    throw new ArgumentError('signer.name', '"signer.name" expected a key name: non-empty, no spaces, no "+"');
  // Em dash (3 bytes), space, name, space, base64 of the key ID and at most 72 DER bytes, newline.
  const lineBytes =
    4 + Buffer.byteLength(signer.name) + 1 + 4 * Math.ceil((4 + P256_DER_SIGNATURE_MAX_BYTES) / 3) + 1;
  if (Buffer.byteLength(text) + 1 + lineBytes > MAX_NOTE_BYTES)
    throw new ArgumentError(
      'text',
      `"text" expected to leave a signed note of at most ${MAX_NOTE_BYTES} bytes`,
    );
  const publicKey = p256Key(signer.spki, 'signer.spki');
  const keyId = ecdsaKeyId(signer.spki);
  const label = keyLabel(signer.name, keyId);
  const message = Buffer.from(text, 'utf8');
  const signature: unknown = await signer.sign(Buffer.from(message));
  if (!(signature instanceof Uint8Array)) throw new NoteSignerFailed(label, 'not bytes');
  const bad = signatureProblem(message, signature, publicKey);
  if (bad) throw new NoteSignerFailed(label, bad);
  const id = Buffer.alloc(4);
  id.writeUInt32BE(keyId);
  return `${text}\n${SIGNATURE_PREFIX}${signer.name} ${Buffer.concat([id, signature]).toString('base64')}\n`;
}

/** Why `signature` is not a valid type 0x02 signature of `message`, or undefined if it is. */
function signatureProblem(message: Buffer, signature: Uint8Array, publicKey: KeyObject): string | undefined {
  let raw: Buffer;
  try {
    raw = derToP1363(signature);
  } catch (e) {
    return `not a DER ECDSA P-256 signature (${(e as Error).message})`;
  }
  return verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)
    ? undefined
    : 'ECDSA P-256 / SHA-256 verification failed';
}
