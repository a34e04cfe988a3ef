/**
 * Strict DER (X.690 §10) reading on asn1js, and a small DER writer, for the key structures of
 * ./spki.ts and ./pkcs8.ts.
 *
 * asn1js decodes BER, so what it accepts is checked here before anything is read (the checks
 * are ours because asn1js is lenient there):
 * - an indefinite length, a long-form length for a short value, or leading zero length octets
 *   (X.690 §10.1, §8.1.3.5) is refused; asn1js accepts the first two with a warning;
 * - an element must end inside its container: asn1js bounds each read by the whole input only,
 *   so an OCTET STRING may claim more than its SEQUENCE holds;
 * - the typed reads check INTEGER minimality (§8.3.2), empty NULL, BIT STRING unused bits, and
 *   OBJECT IDENTIFIER arcs (asn1js reads a non-minimal arc, and arcs past 2^53 inexactly);
 * - constructed strings (BER) are refused by comparing the whole identifier octet with the
 *   expected tag; trailing bytes by `finish()`; inputs over MAX_DER_BYTES before decoding.
 * Every failure is a DerError naming the field and the offset, never an asn1js error object.
 * Values read are views into the caller's input (wiping the input wipes them), not into the
 * copy asn1js decodes, which is zeroed after each decode.
 */
import * as asn1js from 'asn1js';
import { abytes, aint } from './bytes';
import { ArgumentError, DerError } from './errors';

export const Tag = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  /** [1] EXPLICIT, constructed context-specific (ECPrivateKey publicKey). */
  CONTEXT_1: 0xa1,
} as const;

/** Far above any key structure here (an RSA-8192 PKCS#8 with libhal's extras is under 7 KiB). */
export const MAX_DER_BYTES = 64 * 1024;
/** Our structures nest four deep; asn1js's default allows 100. */
const MAX_DEPTH = 16;

const hex2 = (n: number): string => '0x' + n.toString(16).padStart(2, '0');

/** One element checked for DER form, by offsets into the reader's buffer. */
interface Element {
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
  /** Constructed elements only. */
  readonly children?: readonly Element[];
  /**
   * A primitive OCTET or BIT STRING whose content asn1js decoded as exactly one element (it tries
   * every such string) that passes our checks: read again only if this is absent.
   */
  readonly encapsulated?: Element;
  /** OBJECT IDENTIFIERs only: asn1js's dotted reading, checked against the bytes by `oid()`. */
  readonly oid?: string;
}

/** The parts of an asn1js block this module reads. */
interface Asn1Block {
  readonly idBlock: { readonly blockLength: number; readonly isConstructed: boolean };
  readonly lenBlock: {
    readonly blockLength: number;
    readonly length: number;
    readonly isIndefiniteForm: boolean;
  };
  readonly valueBeforeDecodeView: Uint8Array;
  /** Child blocks of a constructed block, or asn1js's decoding of a primitive (a string, for text types). */
  readonly valueBlock: { readonly value?: unknown };
}

function lengthOctets(len: number): number {
  let n = 1;
  if (len >= 0x80) for (let v = len; v > 0; v = Math.floor(v / 256)) n++;
  return n;
}

/** Decodes the one element at `pos` (and everything inside it) with asn1js, then checks its DER form. */
function decodeElement(buf: Uint8Array, pos: number, end: number, what: string): Element {
  const { offset, result } = guarded(pos, what, () =>
    asn1js.fromBER(buf.subarray(pos, end), { maxDepth: MAX_DEPTH }),
  );
  try {
    if (offset === -1) throw new DerError(pos, `${what}: ${result.error || 'not DER'}`);
    return guarded(pos, what, () => checked(result as unknown as Asn1Block, pos, end, what));
  } finally {
    // asn1js decodes a copy of the input, which may hold private key fields.
    const copy = result.valueBeforeDecodeView.buffer;
    if (copy !== buf.buffer) new Uint8Array(copy).fill(0);
  }
}

/** Runs an asn1js call; anything it throws becomes a DerError, so no library error escapes. */
function guarded<T>(at: number, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof DerError) throw error;
    throw new DerError(at, `${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `base` is where asn1js's copy starts in `buf`; `limit` is the end of the container. */
function checked(block: Asn1Block, base: number, limit: number, what: string): Element {
  const start = base + block.valueBeforeDecodeView.byteOffset;
  const { idBlock, lenBlock } = block;
  if (idBlock.blockLength !== 1) throw new DerError(start, `${what}: multi-octet tags are not used here`);
  if (lenBlock.isIndefiniteForm) throw new DerError(start, `${what}: indefinite length is not DER`);
  const contentStart = start + 1 + lenBlock.blockLength;
  const len = lenBlock.length;
  if (lenBlock.blockLength !== lengthOctets(len))
    throw new DerError(start, `${what}: non-minimal length encoding`);
  if (len > limit - contentStart) {
    throw new DerError(
      start,
      `${what}: length ${len} runs past the end of its container (${Math.max(0, limit - contentStart)} bytes left)`,
    );
  }
  const end = contentStart + len;
  const value = block.valueBlock.value;
  if (!idBlock.isConstructed) {
    const oid = block instanceof asn1js.ObjectIdentifier ? block.valueBlock.toString() : undefined;
    const isString = block instanceof asn1js.OctetString || block instanceof asn1js.BitString;
    const inner = isString && Array.isArray(value) && value.length === 1 ? value[0] : undefined;
    return { start, contentStart, end, oid, encapsulated: inner && tryChecked(inner, base, end) };
  }
  // asn1js keeps the text of a constructed (BER) character string instead of its parts.
  if (!Array.isArray(value)) throw new DerError(start, `${what}: a constructed string is not DER`);
  const children = value.map((child) => checked(child, base, end, what));
  return { start, contentStart, end, children };
}

/**
 * The checked element, or undefined: what asn1js found inside a string may be raw bytes that
 * happen to decode, so nothing about it is an error here; `enter()` decodes again and says why.
 */
function tryChecked(block: Asn1Block, base: number, limit: number): Element | undefined {
  try {
    return checked(block, base, limit, 'encapsulated');
  } catch {
    return undefined;
  }
}

/** Reads DER values one after another inside [start, end) of `buf`; never looks outside it. */
export class DerReader {
  private pos: number;
  private index = 0;

  /** `children` are the already-checked contents of a constructed element; else each read decodes. */
  private constructor(
    private readonly buf: Uint8Array,
    start: number,
    private readonly end: number,
    private readonly children?: readonly Element[],
  ) {
    this.pos = start;
  }

  static of(input: Uint8Array): DerReader {
    abytes(input, 'der');
    if (input.length > MAX_DER_BYTES) {
      throw new DerError(0, `der: ${input.length} bytes exceed the ${MAX_DER_BYTES}-byte limit`);
    }
    return new DerReader(input, 0, input.length);
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  get offset(): number {
    return this.pos;
  }

  peekTag(): number | undefined {
    return this.pos < this.end ? this.buf[this.pos] : undefined;
  }

  fail(message: string, at = this.pos): never {
    throw new DerError(at, message);
  }

  /** The next element, which must carry identifier octet `tag`; moves past it. */
  private next(tag: number, what: string): Element {
    const at = this.pos;
    if (at >= this.end) this.fail(`${what}: expected tag ${hex2(tag)}, found end of data`);
    if (this.buf[at] !== tag) this.fail(`${what}: expected tag ${hex2(tag)}, found ${hex2(this.buf[at])}`);
    const el = this.children ? this.children[this.index++] : decodeElement(this.buf, at, this.end, what);
    this.pos = el.end;
    return el;
  }

  /** The value bytes of the next element, as a view into the input. */
  read(tag: number, what: string): Uint8Array {
    const el = this.next(tag, what);
    return this.buf.subarray(el.contentStart, el.end);
  }

  /**
   * A reader bounded to the contents of the next element: its children if constructed, or the
   * DER that a primitive OCTET STRING encapsulates (PKCS#8 privateKey, RFC 5208 §5).
   */
  enter(tag: number, what: string): DerReader {
    const el = this.next(tag, what);
    const inside = el.children ?? (el.encapsulated && [el.encapsulated]);
    return new DerReader(this.buf, el.contentStart, el.end, inside);
  }

  sequence(what: string): DerReader {
    return this.enter(Tag.SEQUENCE, what);
  }

  null(what: string): void {
    const at = this.pos;
    if (this.read(Tag.NULL, what).length !== 0) this.fail(`${what}: NULL must be empty`, at);
  }

  /** A non-negative INTEGER, minimally encoded (X.690 §8.3.2); its magnitude without the sign octet. */
  uint(what: string): Uint8Array {
    const at = this.pos;
    const v = this.read(Tag.INTEGER, what);
    if (v.length === 0) this.fail(`${what}: empty INTEGER`, at);
    if (v[0] & 0x80) this.fail(`${what}: negative INTEGER`, at);
    if (v.length > 1 && v[0] === 0 && (v[1] & 0x80) === 0) this.fail(`${what}: non-minimal INTEGER`, at);
    return v.length > 1 && v[0] === 0 ? v.subarray(1) : v;
  }

  /** An INTEGER in 0 … 2^32−1 (libhal `hal_asn1_decode_uint32`). */
  u32(what: string): number {
    const at = this.pos;
    const m = this.uint(what);
    if (m.length > 4) this.fail(`${what}: INTEGER does not fit 32 bits`, at);
    let n = 0;
    for (const b of m) n = n * 256 + b;
    return n;
  }

  octetString(what: string, length?: number): Uint8Array {
    const at = this.pos;
    const v = this.read(Tag.OCTET_STRING, what);
    if (length !== undefined && v.length !== length) {
      this.fail(`${what}: expected ${length} octets, got ${v.length}`, at);
    }
    return v;
  }

  /** A reader bounded to the bytes of a BIT STRING with no unused bits (SPKI subjectPublicKey). */
  enterBitString(what: string): DerReader {
    const at = this.pos;
    const el = this.next(Tag.BIT_STRING, what);
    if (el.contentStart === el.end || this.buf[el.contentStart] !== 0) {
      this.fail(`${what}: BIT STRING must have 0 unused bits`, at);
    }
    return new DerReader(this.buf, el.contentStart + 1, el.end, el.encapsulated && [el.encapsulated]);
  }

  /**
   * An OBJECT IDENTIFIER in dotted form, as asn1js reads it, refused unless each arc is minimal
   * (X.690 §8.19.2: no leading 0x80 octet) and at most 7 octets, so that asn1js's arithmetic on
   * doubles is exact. (Checked on the bytes: re-encoding through asn1js costs 7 µs an OID.)
   */
  oid(what: string): string {
    const at = this.pos;
    const el = this.next(Tag.OID, what);
    const content = this.buf.subarray(el.contentStart, el.end);
    if (content.length === 0) this.fail(`${what}: empty OBJECT IDENTIFIER`, at);
    for (let i = 0, arcStart = 0; i < content.length; i++) {
      if (i === arcStart && content[i] === 0x80) this.fail(`${what}: non-minimal OID arc`, at);
      if (i - arcStart >= 7) this.fail(`${what}: OID arc too large`, at);
      if ((content[i] & 0x80) === 0) arcStart = i + 1;
    }
    const dotted = el.oid ?? '';
    if (!/^[0-2](\.\d+)+$/.test(dotted))
      this.fail(`${what}: OBJECT IDENTIFIER ${dotted} is not dotted decimal`, at);
    return dotted;
  }

  /** All remaining bytes inside this reader's bounds (raw content such as an EC point). */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    this.index = this.children?.length ?? 0;
    return v;
  }

  /** Asserts nothing follows inside this reader's bounds. */
  finish(what: string): void {
    if (!this.atEnd) this.fail(`${what}: ${this.end - this.pos} unexpected trailing bytes`);
  }
}

// --- writer -----------------------------------------------------------------------------------------

/**
 * A value to write: primitive bytes, or nested nodes whose encodings are concatenated as the
 * content (a SEQUENCE, or an OCTET/BIT STRING that encapsulates DER). `prefix` is one leading
 * content octet: an INTEGER's sign octet or a BIT STRING's unused-bits count.
 *
 * Not asn1js's toBER: it concatenates a fresh buffer at every level, leaving copies of private
 * key fields that nothing can zero; this writer sizes the tree first and copies each field once.
 */
export interface DerNode {
  readonly tag: number;
  readonly prefix?: number;
  readonly content: Uint8Array | readonly DerNode[];
}

export const der = {
  seq: (...children: DerNode[]): DerNode => ({ tag: Tag.SEQUENCE, content: children }),
  ctx1: (child: DerNode): DerNode => ({ tag: Tag.CONTEXT_1, content: [child] }),
  null: (): DerNode => ({ tag: Tag.NULL, content: new Uint8Array(0) }),
  octets: (bytes: Uint8Array): DerNode => ({ tag: Tag.OCTET_STRING, content: bytes }),
  /** OCTET STRING holding the DER of `child` (PKCS#8 privateKey). */
  octetsOf: (child: DerNode): DerNode => ({ tag: Tag.OCTET_STRING, content: [child] }),
  bits: (bytes: Uint8Array): DerNode => ({ tag: Tag.BIT_STRING, prefix: 0, content: bytes }),
  /** BIT STRING holding the DER of `child` (SPKI subjectPublicKey). */
  bitsOf: (child: DerNode): DerNode => ({ tag: Tag.BIT_STRING, prefix: 0, content: [child] }),
  oid(dotted: string): DerNode {
    if (!/^[0-2](\.\d+)+$/.test(dotted))
      throw new ArgumentError('oid', `"oid" expected dotted decimal, got ${dotted}`);
    return { tag: Tag.OID, content: encodeOid(dotted) };
  },
  /** A non-negative INTEGER from a big-endian magnitude; leading zeros are skipped, not copied. */
  uint(magnitude: Uint8Array): DerNode {
    let i = 0;
    while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
    const bytes = magnitude.length === 0 ? new Uint8Array(1) : magnitude.subarray(i);
    return bytes[0] & 0x80
      ? { tag: Tag.INTEGER, prefix: 0, content: bytes }
      : { tag: Tag.INTEGER, content: bytes };
  },
  u32(n: number, field = 'INTEGER'): DerNode {
    aint(n, field, 0, 0xffffffff);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n);
    return der.uint(b);
  },
};

/** The content octets of an OBJECT IDENTIFIER, as asn1js encodes it (X.690 §8.19). */
function encodeOid(dotted: string): Uint8Array {
  return new Uint8Array(new asn1js.ObjectIdentifier({ value: dotted }).valueBlock.toBER(false));
}

function contentLength(node: DerNode): number {
  const body =
    node.content instanceof Uint8Array
      ? node.content.length
      : node.content.reduce((sum, c) => sum + totalLength(c), 0);
  return body + (node.prefix === undefined ? 0 : 1);
}

function totalLength(node: DerNode): number {
  const len = contentLength(node);
  return 1 + lengthOctets(len) + len;
}

function write(node: DerNode, out: Uint8Array, pos: number): number {
  const len = contentLength(node);
  out[pos++] = node.tag;
  if (len < 0x80) {
    out[pos++] = len;
  } else {
    const n = lengthOctets(len) - 1;
    out[pos++] = 0x80 | n;
    for (let i = n - 1, v = len; i >= 0; i--, v = Math.floor(v / 256)) out[pos + i] = v & 0xff;
    pos += n;
  }
  if (node.prefix !== undefined) out[pos++] = node.prefix;
  if (node.content instanceof Uint8Array) {
    out.set(node.content, pos);
    return pos + node.content.length;
  }
  for (const c of node.content) pos = write(c, out, pos);
  return pos;
}

/** Serialises a tree into one fresh buffer: key material is copied once, into the result only. */
export function encodeDer(node: DerNode): Uint8Array {
  const out = new Uint8Array(totalLength(node));
  write(node, out, 0);
  return out;
}
