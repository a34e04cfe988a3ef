/**
 * A keystore record: the soft HSM's version of libhal's 8192-byte key block (docs/libhal-rpc.md §6.3).
 * It holds the key's name, type, curve and flags, its PKCS#8/SPKI DER wrapped with RFC 5649 under
 * the master KEK (§6.2), and its attributes (unique by type). Hashsig private keys also carry
 * their signing state, wrapped the same way (in libhal that state lives in separate LMS/LM-OTS
 * records, §7.2).
 */
import { corruptFile } from '../errors';
import { FieldReader } from './sealed-json';

/** HAL_KS_BLOCK_SIZE (§4.5). */
export const KS_BLOCK_SIZE = 8192;
/**
 * Bytes of a block left for the wrapped DER plus attribute records: 8192 less the header (8), the
 * UUID (16) and five 32-bit fields (type, curve, flags, der_len, attributes_len) of the ARM build.
 */
export const KS_BLOCK_DER_SPACE = KS_BLOCK_SIZE - 8 - 16 - 5 * 4;
/** Attribute record header in a block: u32 type, u16 length (§4.5). */
export const ATTRIBUTE_HEADER_SIZE = 6;

export interface KeyAttribute {
  readonly type: number;
  readonly value: Buffer;
}

export interface KeyRecord {
  /** 16-byte RFC 4122 UUID. */
  readonly name: Buffer;
  readonly type: number;
  readonly curve: number;
  readonly flags: number;
  /** RFC 5649 ciphertext of the PKCS#8 (private) or SPKI (public) DER. */
  readonly der: Buffer;
  /** In the order they were set; types unique. */
  readonly attributes: readonly KeyAttribute[];
  /** Hashsig private keys only: the signer's state, RFC 5649-wrapped under the master KEK. */
  readonly state?: Buffer;
}

/** Bytes the record's wrapped DER and attributes take in a block. */
export function blockBytesUsed(der: Uint8Array, attributes: readonly KeyAttribute[]): number {
  return attributes.reduce((sum, a) => sum + ATTRIBUTE_HEADER_SIZE + a.value.length, der.length);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function uuidToString(name: Uint8Array): string {
  const h = Buffer.from(name).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function uuidFromString(s: string): Buffer | undefined {
  return UUID_RE.test(s) ? Buffer.from(s.replace(/-/g, ''), 'hex') : undefined;
}

export function keyRecordToJson(r: KeyRecord): Record<string, unknown> {
  return {
    format: 'keyledger-soft-hsm-key/1',
    name: uuidToString(r.name),
    type: r.type,
    curve: r.curve,
    flags: r.flags,
    der: r.der.toString('base64'),
    attributes: r.attributes.map((a) => ({ type: a.type, value: a.value.toString('base64') })),
    ...(r.state ? { state: r.state.toString('base64') } : {}),
  };
}

export function keyRecordFromJson(body: unknown, file: string): KeyRecord {
  const r = FieldReader.of(body, file, 'key');
  if (r.string('format') !== 'keyledger-soft-hsm-key/1') throw corruptFile(file, 'unknown key record format');
  const name = uuidFromString(r.string('name'));
  if (!name) throw corruptFile(file, 'key.name is not a UUID');
  const seen = new Set<number>();
  const attributes = r.array('attributes').map((a, i) => {
    const f = FieldReader.of(a, file, `key.attributes[${i}]`);
    const type = f.u32('type');
    if (seen.has(type)) throw corruptFile(file, `attribute type ${type} appears twice`);
    seen.add(type);
    return { type, value: f.bytes('value') };
  });
  const der = r.bytes('der');
  if (der.length === 0 || blockBytesUsed(der, attributes) > KS_BLOCK_DER_SPACE)
    throw corruptFile(file, 'wrapped DER and attributes do not fit a keystore block');
  return {
    name,
    type: r.u32('type'),
    curve: r.u32('curve'),
    flags: r.u32('flags'),
    der,
    attributes,
    ...(r.has('state') ? { state: r.bytes('state') } : {}),
  };
}
