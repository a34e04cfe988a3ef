/**
 * A small strict DER reader and writer (X.690 §8 and §10) for the few structures libhal uses.
 *
 * Why not asn1js: it decodes BER — indefinite lengths, non-minimal lengths and integers — so one
 * key would have many accepted encodings, and walking its object tree means class-identity checks
 * at every step. Here every read is bounded by its container, lengths and integers must be
 * minimal, and every failure is a DerError carrying the offset (never a RangeError).
 * asn1js is still used by the tests, as an independent parser of what we write.
 */
import { abytes, aint } from './bytes';
import { DerError } from './errors';

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

const hex2 = (n: number): string => '0x' + n.toString(16).padStart(2, '0');

/** Reads DER values one after another inside [start, end) of `buf`; never looks outside it. */
export class DerReader {
  private pos: number;

  private constructor(
    private readonly buf: Uint8Array,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
  }

  static of(der: Uint8Array): DerReader {
    abytes(der, 'der');
    return new DerReader(der, 0, der.length);
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

  /** Reads one tag-length header; returns the bounds of its value and moves past the value. */
  private next(tag: number, what: string): { start: number; end: number } {
    const at = this.pos;
    if (at >= this.end) this.fail(`${what}: expected tag ${hex2(tag)}, found end of data`);
    if (this.buf[at] !== tag) this.fail(`${what}: expected tag ${hex2(tag)}, found ${hex2(this.buf[at])}`);
    if (at + 1 >= this.end) this.fail(`${what}: truncated length`);
    let len = this.buf[at + 1];
    let header = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0) this.fail(`${what}: indefinite length is not DER`, at + 1);
      if (n > 4) this.fail(`${what}: length of ${n} octets is too large`, at + 1);
      if (at + 2 + n > this.end) this.fail(`${what}: truncated length`, at + 1);
      if (this.buf[at + 2] === 0) this.fail(`${what}: non-minimal length encoding`, at + 1);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + this.buf[at + 2 + i];
      if (len < 0x80) this.fail(`${what}: non-minimal length encoding`, at + 1);
      header += n;
    }
    const start = at + header;
    if (len > this.end - start) {
      this.fail(
        `${what}: length ${len} runs past the end of its container (${this.end - start} bytes left)`,
        at,
      );
    }
    this.pos = start + len;
    return { start, end: start + len };
  }

  /** The value bytes of the next element, as a view into the input. */
  read(tag: number, what: string): Uint8Array {
    const { start, end } = this.next(tag, what);
    return this.buf.subarray(start, end);
  }

  /** A reader bounded to the contents of the next constructed element. */
  enter(tag: number, what: string): DerReader {
    const { start, end } = this.next(tag, what);
    return new DerReader(this.buf, start, end);
  }

  sequence(what: string): DerReader {
    return this.enter(Tag.SEQUENCE, what);
  }

  null(what: string): void {
    const at = this.pos;
    if (this.read(Tag.NULL, what).length !== 0) this.fail(`${what}: NULL must be empty`, at);
  }

  /** A non-negative INTEGER, minimally encoded; returns its magnitude without the sign octet. */
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
    const { start, end } = this.next(Tag.BIT_STRING, what);
    if (start === end || this.buf[start] !== 0) this.fail(`${what}: BIT STRING must have 0 unused bits`, at);
    return new DerReader(this.buf, start + 1, end);
  }

  /** An OBJECT IDENTIFIER in dotted form (X.690 §8.19). */
  oid(what: string): string {
    const at = this.pos;
    const v = this.read(Tag.OID, what);
    if (v.length === 0) this.fail(`${what}: empty OBJECT IDENTIFIER`, at);
    const arcs: number[] = [];
    let arc = 0;
    let arcBytes = 0;
    for (let i = 0; i < v.length; i++) {
      if (arcBytes === 0 && v[i] === 0x80) this.fail(`${what}: non-minimal OID arc`, at);
      // Seven octets (49 bits) keep every arc a safe integer; no OID we know comes near it.
      if (++arcBytes > 7) this.fail(`${what}: OID arc too large`, at);
      arc = arc * 128 + (v[i] & 0x7f);
      if ((v[i] & 0x80) === 0) {
        arcs.push(arc);
        arc = 0;
        arcBytes = 0;
      }
    }
    if (arcBytes !== 0) this.fail(`${what}: truncated OID arc`, at);
    const first = Math.min(2, Math.floor(arcs[0] / 40));
    return [first, arcs[0] - 40 * first, ...arcs.slice(1)].join('.');
  }

  /** All remaining bytes inside this reader's bounds (raw content such as an EC point). */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }

  /** Asserts nothing follows inside this reader's bounds. */
  finish(what: string): void {
    if (!this.atEnd) this.fail(`${what}: ${this.end - this.pos} unexpected trailing bytes`);
  }
}

/**
 * A value to write: primitive bytes, or nested nodes whose encodings are concatenated as the
 * content (a SEQUENCE, or an OCTET/BIT STRING that encapsulates DER). `prefix` is one leading
 * content octet: an INTEGER's sign octet or a BIT STRING's unused-bits count.
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
  oid: (dotted: string): DerNode => ({ tag: Tag.OID, content: encodeOid(dotted) }),
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

function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const push = (v: number): void => {
    const groups = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  };
  push(40 * arcs[0] + arcs[1]);
  arcs.slice(2).forEach(push);
  return Uint8Array.from(out);
}

function contentLength(node: DerNode): number {
  const body =
    node.content instanceof Uint8Array
      ? node.content.length
      : node.content.reduce((sum, c) => sum + totalLength(c), 0);
  return body + (node.prefix === undefined ? 0 : 1);
}

function headerLength(len: number): number {
  let n = 2;
  if (len >= 0x80) for (let v = len; v > 0; v = Math.floor(v / 256)) n++;
  return n;
}

function totalLength(node: DerNode): number {
  const len = contentLength(node);
  return headerLength(len) + len;
}

function write(node: DerNode, out: Uint8Array, pos: number): number {
  const len = contentLength(node);
  out[pos++] = node.tag;
  if (len < 0x80) {
    out[pos++] = len;
  } else {
    const n = headerLength(len) - 2;
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
