/**
 * RFC 8554 wire formats on SHA-256: the LMS public key (§5.3) and signature (§5.4), the HSS public
 * key (§6.1) and signature (§6.2), and the index path a signature used, which the custody service
 * records before it releases a signature. Every read is bounded by the input and every length
 * follows from a type code, so hostile bytes fail with HashsigMalformed instead of being read past
 * their end. Parsed fields are views, not copies. Signing and verification live with the signer.
 */
import { abytes, readU32, writeU32 } from './bytes';
import { HashsigMalformed } from './errors';
import {
  HSS_MAX_LEVELS,
  isLmotsType,
  isLmsType,
  LMS_PUBLIC_KEY_LENGTH,
  lmotsParams,
  lmsParams,
} from './rfc8554-params';

/**
 * Reads §3.1.3 fields from `bytes` without ever going past its end: every read checks the bytes
 * remaining and throws HashsigMalformed naming the structure and field otherwise.
 */
export class BoundedReader {
  private offset = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  u32(field: string): number {
    this.need(field, 4);
    const value = readU32(this.bytes, this.offset);
    this.offset += 4;
    return value;
  }

  /** A view (not a copy) of the next `length` bytes. */
  take(field: string, length: number): Uint8Array {
    this.need(field, length);
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  /** Throws unless every byte was consumed (§6.3: trailing bytes make a signature invalid). */
  end(): void {
    if (this.remaining !== 0) {
      throw new HashsigMalformed(
        this.what,
        `${this.remaining} unexpected trailing bytes at offset ${this.offset}`,
      );
    }
  }

  fail(detail: string): never {
    throw new HashsigMalformed(this.what, `${detail} (at offset ${this.offset})`);
  }

  private need(field: string, length: number): void {
    if (this.remaining < length) {
      throw new HashsigMalformed(
        this.what,
        `"${field}" needs ${length} bytes at offset ${this.offset}, only ${this.remaining} remain`,
      );
    }
  }
}

// --- LMS (§5) -------------------------------------------------------------------------------------

export interface LmsPublicKeyParts {
  readonly lmsType: number;
  readonly lmotsType: number;
  readonly I: Uint8Array;
  readonly root: Uint8Array;
}

export interface LmsSignatureParts {
  readonly q: number;
  readonly lmotsType: number;
  readonly C: Uint8Array;
  /** y[0..p−1], 32·p bytes. */
  readonly y: Uint8Array;
  readonly lmsType: number;
  /** path[0..h−1], 32·h bytes. */
  readonly path: Uint8Array;
}

/** u32str(type) || u32str(otstype) || I || T[1] (§5.3). */
export function encodeLmsPublicKey(pub: LmsPublicKeyParts): Uint8Array {
  const out = new Uint8Array(LMS_PUBLIC_KEY_LENGTH);
  writeU32(out, 0, pub.lmsType);
  writeU32(out, 4, pub.lmotsType);
  out.set(pub.I, 8);
  out.set(pub.root, 24);
  return out;
}

/** Reads an LMS public key (§5.3); types must be registered ones. */
export function readLmsPublicKey(reader: BoundedReader): LmsPublicKeyParts {
  const lmsType = reader.u32('LMS type');
  const lmotsType = reader.u32('LM-OTS type');
  knownTypes(reader, lmsType, lmotsType);
  return { lmsType, lmotsType, I: reader.take('I', 16), root: reader.take('T[1]', 32) };
}

/** Reads an LMS signature (§5.4.2 Algorithm 6a steps 2a–2i); each length follows from its type. */
export function readLmsSignature(reader: BoundedReader): LmsSignatureParts {
  const q = reader.u32('q');
  const lmotsType = reader.u32('LM-OTS type');
  knownTypes(reader, undefined, lmotsType);
  const ots = lmotsParams(lmotsType);
  const C = reader.take('C', 32);
  const y = reader.take('y', 32 * ots.p);
  const lmsType = reader.u32('LMS type');
  knownTypes(reader, lmsType, undefined);
  const { h } = lmsParams(lmsType);
  if (q >= 2 ** h) reader.fail(`q = ${q} is not below 2^${h}`);
  return { q, lmotsType, C, y, lmsType, path: reader.take('path', 32 * h) };
}

// Unknown codes in bytes from outside are malformed input, not an unsupported request.
function knownTypes(reader: BoundedReader, lmsType: number | undefined, lmotsType: number | undefined): void {
  if (lmsType !== undefined && !isLmsType(lmsType)) reader.fail(`unknown LMS type ${lmsType}`);
  if (lmotsType !== undefined && !isLmotsType(lmotsType)) reader.fail(`unknown LM-OTS type ${lmotsType}`);
}

// --- HSS (§6) -------------------------------------------------------------------------------------

export interface HssPublicKeyParts {
  readonly levels: number;
  readonly top: LmsPublicKeyParts;
}

export interface HssSignatureParts {
  /** Nspk = L − 1 signed public keys: level k's signature of level k+1's public key, and that key. */
  readonly signedPublicKeys: readonly {
    readonly signature: LmsSignatureParts;
    readonly publicKey: LmsPublicKeyParts;
  }[];
  /** The bottom level's signature of the message. */
  readonly signature: LmsSignatureParts;
  /**
   * Per level 0 .. L−1, the leaf that signed (q) and its tree's identifier I. Level 0's I is only
   * in the HSS public key, so it is null here: hssSignatureIndexPath fills it in.
   */
  readonly indexPath: readonly { readonly I: Uint8Array | null; readonly q: number }[];
}

/** u32str(L) || lms_public_key (§6.1), L in 1..8. */
export function parseHssPublicKey(publicKey: Uint8Array): HssPublicKeyParts {
  abytes(publicKey, 'publicKey');
  const reader = new BoundedReader(publicKey, 'HSS public key');
  const levels = reader.u32('L');
  if (levels < 1 || levels > HSS_MAX_LEVELS) reader.fail(`L = ${levels} is outside 1..${HSS_MAX_LEVELS}`);
  const top = readLmsPublicKey(reader);
  reader.end();
  return { levels, top };
}

/**
 * u32str(Nspk) || (lms_signature || lms_public_key) × Nspk || lms_signature (§6.2), strictly:
 * known types, q < 2^h, exact total length.
 */
export function parseHssSignature(signature: Uint8Array): HssSignatureParts {
  abytes(signature, 'signature');
  const reader = new BoundedReader(signature, 'HSS signature');
  const nspk = reader.u32('Nspk');
  if (nspk > HSS_MAX_LEVELS - 1)
    reader.fail(`Nspk = ${nspk} exceeds ${HSS_MAX_LEVELS - 1} (L ≤ ${HSS_MAX_LEVELS})`);
  const signedPublicKeys: HssSignatureParts['signedPublicKeys'][number][] = [];
  for (let k = 0; k < nspk; k++) {
    const sig = readLmsSignature(reader);
    signedPublicKeys.push({ signature: sig, publicKey: readLmsPublicKey(reader) });
  }
  const last = readLmsSignature(reader);
  reader.end();
  const indexPath = [
    { I: null, q: (signedPublicKeys[0]?.signature ?? last).q },
    ...signedPublicKeys.map((s, k) => ({
      I: s.publicKey.I,
      q: (signedPublicKeys[k + 1]?.signature ?? last).q,
    })),
  ];
  return { signedPublicKeys, signature: last, indexPath };
}

/**
 * The leaves a signature used, top-down: [{ I, q }] per level, for reuse detection (a leaf is
 * identified by its tree's I and q). Throws HashsigMalformed when the signature's level count
 * does not match the key's. It does not verify the signature.
 */
export function hssSignatureIndexPath(
  publicKey: Uint8Array,
  signature: Uint8Array,
): { I: Uint8Array; q: number }[] {
  const pub = parseHssPublicKey(publicKey);
  const sig = parseHssSignature(signature);
  if (sig.indexPath.length !== pub.levels) {
    throw new HashsigMalformed(
      'HSS signature',
      `has ${sig.indexPath.length} levels, the public key ${pub.levels}`,
    );
  }
  return sig.indexPath.map((level) => ({ I: level.I ?? pub.top.I, q: level.q }));
}
