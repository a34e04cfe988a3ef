/**
 * The JSON files of Cryptech's `cryptech_backup` (docs/libhal-rpc.md §8): a setup file names the
 * KEKEK (an RSA key on the destination HSM, or a software keypair under a passphrase) and a backup
 * file adds the keys exported to it (PKEY_EXPORT's two EncryptedPrivateKeyInfo blobs each,
 * docs/libhal-rpc.md §5.3).
 *
 * Pure: `parseSetupFile` / `parseBackupFile` read a file's text and check all of it, each refusal a
 * `BackupFileError` naming the field (`"keys[3].pkcs8" expected base64 lines, got a number`);
 * `formatBackupJson` writes as the tool does, `json.dump(…, indent=4, sort_keys=True)`, with every
 * binary value a list of base64 lines of 76 characters (Python 2 `base64.encodestring`).
 *
 * What the tool itself reads is read: a binary value given as one string instead of a list of
 * lines (Python joins either), any line length, fields it ignores (ignored here too). What it
 * would only trip over halfway through an import is refused up front: a blob that is not the DER
 * the HSM will parse, a `kek` whose ciphertext is not as long as the KEKEK's modulus (written for
 * another KEKEK, or cut short).
 */
import { DerError, UnsupportedKeyError } from './errors';
import { guessKeyKind, parseEncryptedPrivateKeyInfo } from './pkcs8';
import { OID, parseRsaSpki } from './spki';
import type { ErrorCategory } from '../domain/error-category';

/** The `comment` strings cryptech_backup writes. */
export const BACKUP_COMMENTS = {
  hsmSetup: 'KEKEK public key',
  softSetup: 'KEKEK software keypair',
  backup: 'Cryptech Alpha encrypted key backup',
  privateKey: 'Encrypted private key',
  publicKey: 'Public key',
} as const;

/** Python 2 `base64.encodestring`: lines of 76 characters. */
export const BASE64_LINE = 76;
/** Far above any file an HSM's keystore fills (the REST body limit is 1 MiB). */
export const MAX_BACKUP_FILE_CHARS = 4 * 1024 * 1024;
/** Most entries one backup file may list. */
export const MAX_BACKUP_KEYS = 4096;

/** Decoded sizes of the binary fields (bytes). An RSA-8192 key wrapped by libhal is under 7 KiB. */
const LIMITS = {
  pubkey: { min: 32, max: 2048 },
  pkcs8: { min: 24, max: 8192 },
  kek: { min: 16, max: 2048 },
  spki: { min: 16, max: 4096 },
  salt: { min: 8, max: 64 },
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A setup or backup file that cannot be used as it is: the message names the field and what is wrong. */
export class BackupFileError extends Error {
  static readonly category: ErrorCategory = 'invalid';
  readonly type = 'backup-file-invalid';
  constructor(
    readonly field: string | null,
    message: string,
  ) {
    super(field === null ? message : `"${field}" ${message}`);
  }
}

/** The KEKEK a file names: its private half on an HSM (by key name), or in the file under a passphrase. */
export type BackupKekek =
  | { readonly kind: 'hsm'; readonly uuid: string; readonly pubkey: Uint8Array }
  | {
      readonly kind: 'soft';
      readonly pubkey: Uint8Array;
      /** EncryptedPrivateKeyInfo (id-aes256-wrap-pad) of the RSA PKCS#8, under PBKDF2 of the passphrase. */
      readonly pkcs8: Uint8Array;
      readonly salt: Uint8Array;
    };

export interface SetupFile {
  readonly kekek: BackupKekek;
  /** Bytes of the KEKEK's RSA modulus: the length of every encrypted KEK. */
  readonly modulusBytes: number;
  /** Bits of the KEKEK's RSA modulus. */
  readonly bits: number;
}

/** `index`: the entry's place in `keys`; `uuid` lowercased; the blobs as PKEY_EXPORT wrote them. */
export type BackupEntry =
  | {
      readonly kind: 'private';
      readonly index: number;
      readonly uuid: string;
      readonly flags: number;
      readonly pkcs8: Uint8Array;
      readonly kek: Uint8Array;
    }
  | {
      readonly kind: 'public';
      readonly index: number;
      readonly uuid: string;
      readonly flags: number;
      readonly spki: Uint8Array;
    };

export interface BackupFile extends SetupFile {
  readonly keys: readonly BackupEntry[];
}

// --- reading --------------------------------------------------------------------------------------

/** A setup file (`cryptech_backup setup`); a backup file's setup fields are read the same way. */
export function parseSetupFile(text: string): SetupFile {
  return setupOf(topLevel(text, 'setup'));
}

/** A backup file (`cryptech_backup export`), every entry checked. */
export function parseBackupFile(text: string): BackupFile {
  const doc = topLevel(text, 'backup');
  const setup = setupOf(doc);
  if (!Object.hasOwn(doc, 'keys'))
    throw new BackupFileError(
      'keys',
      `missing: this is a setup file${typeof doc.comment === 'string' ? ` ("${printable(doc.comment)}")` : ''}, not a backup file`,
    );
  const keys = doc.keys;
  if (!Array.isArray(keys))
    throw new BackupFileError('keys', `expected a list of entries, got ${kind(keys)}`);
  if (keys.length > MAX_BACKUP_KEYS)
    throw new BackupFileError('keys', `expected at most ${MAX_BACKUP_KEYS} entries, got ${keys.length}`);
  return { ...setup, keys: keys.map((entry, index) => entryOf(entry, index, setup.modulusBytes)) };
}

/** Whether a file's text names a software KEKEK (the tool's own test: both fields present). */
export function isSoftBackupText(text: string): boolean {
  try {
    const doc: unknown = JSON.parse(text);
    return isObject(doc) && Object.hasOwn(doc, 'kekek_pkcs8') && Object.hasOwn(doc, 'kekek_salt');
  } catch {
    return false;
  }
}

function topLevel(text: string, what: 'setup' | 'backup'): Record<string, unknown> {
  if (typeof text !== 'string') throw new BackupFileError(null, `the ${what} file expected text`);
  if (text.length > MAX_BACKUP_FILE_CHARS)
    throw new BackupFileError(
      null,
      `the ${what} file has ${text.length} characters, more than ${MAX_BACKUP_FILE_CHARS}`,
    );
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new BackupFileError(null, `the ${what} file is not valid JSON${jsonFault(text, error)}`);
  }
  if (!isObject(doc))
    throw new BackupFileError(null, `the ${what} file expected a JSON object, got ${kind(doc)}`);
  return doc;
}

/**
 * Where JSON.parse gave up, in our words: its own message quotes the text around the fault, which
 * may be key material, so it is never passed on.
 */
function jsonFault(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const at = /position (\d+)/.exec(message);
  const position = at === null ? undefined : Number(at[1]);
  if (/Unexpected end of JSON input|Unterminated/.test(message) || (position ?? 0) >= text.trimEnd().length)
    return ': it ends too early (cut short?)';
  if (position === undefined) return ' (damaged?)';
  const before = text.slice(0, position).split('\n');
  return ` at line ${before.length}, column ${before[before.length - 1].length + 1} (damaged?)`;
}

function setupOf(doc: Record<string, unknown>): SetupFile {
  if (Object.hasOwn(doc, 'comment') && typeof doc.comment !== 'string')
    throw new BackupFileError('comment', `expected text, got ${kind(doc.comment)}`);
  const pubkey = bytesOf(doc, 'kekek_pubkey', LIMITS.pubkey);
  let modulus: Uint8Array;
  try {
    modulus = parseRsaSpki(pubkey).n;
  } catch (error) {
    throw derRefusal('kekek_pubkey', 'expected an RSA SubjectPublicKeyInfo', error);
  }
  const modulusBytes = modulus.length;
  const bits = (modulusBytes - 1) * 8 + (32 - Math.clz32(modulus[0]));
  const soft = Object.hasOwn(doc, 'kekek_pkcs8') && Object.hasOwn(doc, 'kekek_salt');
  if (soft) {
    const pkcs8 = bytesOf(doc, 'kekek_pkcs8', LIMITS.pkcs8);
    checkWrapped(pkcs8, 'kekek_pkcs8');
    return {
      kekek: { kind: 'soft', pubkey, pkcs8, salt: bytesOf(doc, 'kekek_salt', LIMITS.salt) },
      modulusBytes,
      bits,
    };
  }
  for (const half of ['kekek_pkcs8', 'kekek_salt'])
    if (Object.hasOwn(doc, half))
      throw new BackupFileError(
        half === 'kekek_pkcs8' ? 'kekek_salt' : 'kekek_pkcs8',
        `missing: a software KEKEK needs both "kekek_pkcs8" and "kekek_salt"`,
      );
  if (!Object.hasOwn(doc, 'kekek_uuid'))
    throw new BackupFileError(
      'kekek_uuid',
      'missing: the file names neither a KEKEK on an HSM ("kekek_uuid") nor a software KEKEK ("kekek_pkcs8", "kekek_salt")',
    );
  return { kekek: { kind: 'hsm', uuid: uuidOf(doc.kekek_uuid, 'kekek_uuid'), pubkey }, modulusBytes, bits };
}

function entryOf(raw: unknown, index: number, modulusBytes: number): BackupEntry {
  const at = `keys[${index}]`;
  if (!isObject(raw)) throw new BackupFileError(at, `expected an entry object, got ${kind(raw)}`);
  if (Object.hasOwn(raw, 'comment') && typeof raw.comment !== 'string')
    throw new BackupFileError(`${at}.comment`, `expected text, got ${kind(raw.comment)}`);
  if (!Object.hasOwn(raw, 'uuid')) throw new BackupFileError(`${at}.uuid`, 'missing');
  const uuid = uuidOf(raw.uuid, `${at}.uuid`);
  const flags = raw.flags ?? 0;
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || flags > 0xffffffff)
    throw new BackupFileError(`${at}.flags`, `expected an integer 0 … 4294967295, got ${kind(flags)}`);
  const hasPkcs8 = Object.hasOwn(raw, 'pkcs8');
  const hasKek = Object.hasOwn(raw, 'kek');
  if (hasPkcs8 || hasKek) {
    if (!hasPkcs8 || !hasKek)
      throw new BackupFileError(
        `${at}.${hasPkcs8 ? 'kek' : 'pkcs8'}`,
        'missing: a private key entry needs both "pkcs8" and "kek"',
      );
    const pkcs8 = bytesOf(raw, 'pkcs8', LIMITS.pkcs8, at);
    checkWrapped(pkcs8, `${at}.pkcs8`);
    const kek = bytesOf(raw, 'kek', LIMITS.kek, at);
    let info: { algorithm: string; data: Uint8Array };
    try {
      info = parseEncryptedPrivateKeyInfo(kek);
    } catch (error) {
      throw derRefusal(`${at}.kek`, 'expected an EncryptedPrivateKeyInfo (rsaEncryption)', error);
    }
    if (info.algorithm !== OID.rsaEncryption)
      throw new BackupFileError(`${at}.kek`, `expected algorithm rsaEncryption, got ${info.algorithm}`);
    if (info.data.length !== modulusBytes)
      throw new BackupFileError(
        `${at}.kek`,
        `holds ${info.data.length} bytes of encrypted KEK, but the KEKEK's modulus is ${modulusBytes} bytes (written for another KEKEK, or cut short)`,
      );
    return { kind: 'private', index, uuid, flags, pkcs8, kek };
  }
  if (Object.hasOwn(raw, 'spki')) {
    const spki = bytesOf(raw, 'spki', LIMITS.spki, at);
    let isPublic: boolean;
    try {
      isPublic = guessKeyKind(spki).type.endsWith('-public');
    } catch (error) {
      throw derRefusal(`${at}.spki`, 'expected a SubjectPublicKeyInfo', error);
    }
    if (!isPublic)
      throw new BackupFileError(`${at}.spki`, 'expected a SubjectPublicKeyInfo, got a private key');
    return { kind: 'public', index, uuid, flags, spki };
  }
  throw new BackupFileError(at, 'expected "pkcs8" and "kek" (a private key) or "spki" (a public key)');
}

/** PKEY_EXPORT's `pkcs8` blob (docs/libhal-rpc.md §5.3 step 5): id-aes256-wrap-pad over an RFC 5649 wrap. */
function checkWrapped(bytes: Uint8Array, field: string): void {
  let info: { algorithm: string; data: Uint8Array };
  try {
    info = parseEncryptedPrivateKeyInfo(bytes);
  } catch (error) {
    throw derRefusal(field, 'expected an EncryptedPrivateKeyInfo (id-aes256-wrap-pad)', error);
  }
  if (info.algorithm !== OID.aes256WrapPad)
    throw new BackupFileError(field, `expected algorithm id-aes256-wrap-pad, got ${info.algorithm}`);
  if (info.data.length < 16 || info.data.length % 8 !== 0)
    throw new BackupFileError(
      field,
      `holds ${info.data.length} bytes of wrapped key; an RFC 5649 wrap is a multiple of 8 bytes, at least 16 (cut short?)`,
    );
}

function derRefusal(field: string, expected: string, error: unknown): BackupFileError {
  if (error instanceof DerError || error instanceof UnsupportedKeyError)
    return new BackupFileError(field, `${expected}: ${error.message}`);
  throw error;
}

/** A binary field: a list of base64 lines (or one string), joined and decoded strictly. */
function bytesOf(
  doc: Record<string, unknown>,
  name: string,
  limits: { readonly min: number; readonly max: number },
  parent?: string,
): Uint8Array {
  const field = parent === undefined ? name : `${parent}.${name}`;
  if (!Object.hasOwn(doc, name)) throw new BackupFileError(field, 'missing');
  const value = doc[name];
  const lines = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(lines) || !lines.every((l) => typeof l === 'string'))
    throw new BackupFileError(field, `expected base64 lines (a list of strings), got ${kind(value)}`);
  const text = lines.join('');
  if (text.length > Math.ceil(limits.max / 3) * 4)
    throw new BackupFileError(
      field,
      `expected at most ${limits.max} bytes, got about ${Math.floor((text.length * 3) / 4)}`,
    );
  if (!BASE64.test(text))
    throw new BackupFileError(
      field,
      'expected base64 lines: the joined text is not standard padded base64 (cut short or damaged?)',
    );
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length < limits.min)
    throw new BackupFileError(field, `expected at least ${limits.min} bytes, got ${bytes.length}`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

function uuidOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || !UUID.test(value))
    throw new BackupFileError(field, `expected a UUID, got ${kind(value)}`);
  return value.toLowerCase();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a wrong value is, for a message; never the value itself (it may be key material). */
function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `text of ${value.length} characters`;
  if (typeof value === 'number') return Number.isInteger(value) ? `the number ${value}` : 'a fraction';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const printable = (text: string): string => text.slice(0, 60).replace(/[^\x20-\x7e]/g, '?');

// --- writing --------------------------------------------------------------------------------------

/** Python 2 `base64.encodestring(bytes).splitlines()`: lines of 76 characters, the last shorter. */
export function base64Lines(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += BASE64_LINE) lines.push(text.slice(i, i + BASE64_LINE));
  return lines;
}

/** The fields of a setup file, as `cryptech_backup setup` (with or without `-s`) writes them. */
export function setupDocument(kekek: BackupKekek): Record<string, unknown> {
  return kekek.kind === 'hsm'
    ? { comment: BACKUP_COMMENTS.hsmSetup, kekek_pubkey: base64Lines(kekek.pubkey), kekek_uuid: kekek.uuid }
    : {
        comment: BACKUP_COMMENTS.softSetup,
        kekek_pkcs8: base64Lines(kekek.pkcs8),
        kekek_pubkey: base64Lines(kekek.pubkey),
        kekek_salt: base64Lines(kekek.salt),
      };
}

/** A backup file: the setup's fields, the backup comment, and one entry per key. */
export function backupDocument(kekek: BackupKekek, keys: readonly BackupEntry[]): Record<string, unknown> {
  return {
    ...setupDocument(kekek),
    comment: BACKUP_COMMENTS.backup,
    keys: keys.map((k) =>
      k.kind === 'private'
        ? {
            comment: BACKUP_COMMENTS.privateKey,
            flags: k.flags,
            kek: base64Lines(k.kek),
            pkcs8: base64Lines(k.pkcs8),
            uuid: k.uuid,
          }
        : { comment: BACKUP_COMMENTS.publicKey, flags: k.flags, spki: base64Lines(k.spki), uuid: k.uuid },
    ),
  };
}

/**
 * `json.dump(doc, indent=4, sort_keys=True)` and a final newline. Python 2 also leaves a space after
 * the comma that ends a line; readers do not care, so this writes what Python 3 writes.
 */
export function formatBackupJson(doc: unknown): string {
  return `${JSON.stringify(doc, (_key, value: unknown) => (isObject(value) ? sortedKeys(value) : value), 4)}\n`;
}

function sortedKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, value[key]]),
  );
}
