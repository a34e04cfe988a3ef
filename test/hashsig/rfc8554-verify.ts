/**
 * An independent RFC 8554 verifier for tests: written from §4.6 Algorithm 4b, §5.4.2 Algorithms
 * 6/6a and §6.3, using node:crypto createHash and nothing from src/soft-hsm/hashsig, so that a
 * shared misreading of the RFC cannot make the signer and its checker agree.
 */
import { createHash } from 'node:crypto';

// §4.1 and §5.1 tables (SHA-256, n = m = 32).
const LMOTS: Record<number, { n: number; w: number; p: number; ls: number }> = {
  1: { n: 32, w: 1, p: 265, ls: 7 },
  2: { n: 32, w: 2, p: 133, ls: 6 },
  3: { n: 32, w: 4, p: 67, ls: 4 },
  4: { n: 32, w: 8, p: 34, ls: 0 },
};
const LMS: Record<number, { m: number; h: number }> = {
  5: { m: 32, h: 5 },
  6: { m: 32, h: 10 },
  7: { m: 32, h: 15 },
  8: { m: 32, h: 20 },
  9: { m: 32, h: 25 },
};

const D_PBLC = Buffer.from([0x80, 0x80]);
const D_MESG = Buffer.from([0x81, 0x81]);
const D_LEAF = Buffer.from([0x82, 0x82]);
const D_INTR = Buffer.from([0x83, 0x83]);

class Invalid extends Error {}

function H(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

function u32str(x: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(x);
  return b;
}
function u16str(x: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(x);
  return b;
}
function u8str(x: number): Buffer {
  return Buffer.from([x]);
}

// §3.1.3
function coef(S: Uint8Array, i: number, w: number): number {
  return (2 ** w - 1) & (S[Math.floor((i * w) / 8)] >> (8 - (w * (i % (8 / w)) + w)));
}

// §4.4 Algorithm 2
function Cksm(S: Uint8Array, n: number, w: number, ls: number): number {
  let sum = 0;
  for (let i = 0; i < (n * 8) / w; i++) sum = sum + (2 ** w - 1) - coef(S, i, w);
  return (sum << ls) & 0xffff;
}

/** A cursor that refuses to read past the end (the RFC's "if ... too short, return INVALID"). */
class Cursor {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  bytes(len: number): Buffer {
    if (this.pos + len > this.buf.length) throw new Invalid('short');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  u32(): number {
    return this.bytes(4).readUInt32BE(0);
  }
}

// §4.6 Algorithm 4b (pubtype given by the LMS public key)
function lmotsCandidate(message: Buffer, sig: Buffer, pubtype: number, I: Buffer, q: number): Buffer {
  if (sig.length < 4) throw new Invalid('ots sig < 4');
  const sigtype = sig.readUInt32BE(0);
  if (sigtype !== pubtype) throw new Invalid('ots type');
  const params = LMOTS[sigtype];
  if (!params) throw new Invalid('ots type unknown');
  const { n, w, p, ls } = params;
  if (sig.length !== 4 + n * (p + 1)) throw new Invalid('ots length');
  const C = sig.subarray(4, 4 + n);
  const y = (i: number): Buffer => sig.subarray(4 + n + n * i, 4 + n + n * (i + 1));
  const Q = H(I, u32str(q), D_MESG, C, message);
  const QC = Buffer.concat([Q, u16str(Cksm(Q, n, w, ls))]);
  const z: Buffer[] = [];
  for (let i = 0; i < p; i++) {
    const a = coef(QC, i, w);
    let tmp = y(i);
    for (let j = a; j < 2 ** w - 1; j++) tmp = H(I, u32str(q), u16str(i), u8str(j), tmp);
    z.push(tmp);
  }
  return H(I, u32str(q), D_PBLC, ...z);
}

// §5.4.2 Algorithm 6a; returns the candidate root Tc. `cur` reads the signature in place.
function lmsCandidateRoot(
  message: Buffer,
  cur: Cursor,
  pubtype: number,
  pubOtsType: number,
  I: Buffer,
): Buffer {
  const q = cur.u32();
  const otssigtype = cur.bytes(4).readUInt32BE(0);
  cur.pos -= 4;
  if (otssigtype !== pubOtsType) throw new Invalid('ots type');
  const ots = LMOTS[otssigtype];
  if (!ots) throw new Invalid('ots unknown');
  const lmotsSignature = cur.bytes(4 + ots.n * (ots.p + 1));
  const sigtype = cur.u32();
  if (sigtype !== pubtype) throw new Invalid('lms type');
  const { m, h } = LMS[sigtype];
  if (q >= 2 ** h) throw new Invalid('q');
  const path: Buffer[] = [];
  for (let i = 0; i < h; i++) path.push(cur.bytes(m));
  const Kc = lmotsCandidate(message, lmotsSignature, pubOtsType, I, q);
  let nodeNum = 2 ** h + q;
  let tmp = H(I, u32str(nodeNum), D_LEAF, Kc);
  let i = 0;
  while (nodeNum > 1) {
    if (nodeNum % 2 === 1) tmp = H(I, u32str(Math.floor(nodeNum / 2)), D_INTR, path[i], tmp);
    else tmp = H(I, u32str(nodeNum / 2), D_INTR, tmp, path[i]);
    nodeNum = Math.floor(nodeNum / 2);
    i++;
  }
  return tmp;
}

interface LmsPub {
  type: number;
  otstype: number;
  I: Buffer;
  T1: Buffer;
  raw: Buffer;
}

// §5.4.2 Algorithm 6 step 1: parse the LMS public key
function parseLmsPub(cur: Cursor): LmsPub {
  const start = cur.pos;
  const type = cur.u32();
  if (!LMS[type]) throw new Invalid('lms type unknown');
  const otstype = cur.u32();
  if (!LMOTS[otstype]) throw new Invalid('ots type unknown');
  const I = cur.bytes(16);
  const T1 = cur.bytes(LMS[type].m);
  return { type, otstype, I, T1, raw: cur.buf.subarray(start, cur.pos) };
}

function lmsVerifyAt(message: Buffer, pub: LmsPub, cur: Cursor): boolean {
  const Tc = lmsCandidateRoot(message, cur, pub.type, pub.otstype, pub.I);
  return Tc.equals(pub.T1);
}

/** RFC 8554 §6.3: true iff `signature` is a valid HSS signature of `message` under `publicKey`. */
export function rfc8554Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const pubCur = new Cursor(Buffer.from(publicKey));
    const L = pubCur.u32();
    let pub = parseLmsPub(pubCur);
    if (pubCur.pos !== publicKey.length) return false;
    const cur = new Cursor(Buffer.from(signature));
    const Nspk = cur.u32();
    if (Nspk + 1 !== L) return false;
    for (let i = 0; i < Nspk; i++) {
      // siglist[i] signs publist[i]; the public key follows its signature.
      const sigStart = cur.pos;
      skipLmsSignature(cur);
      const next = parseLmsPub(cur);
      if (!lmsVerifyAt(next.raw, pub, new Cursor(cur.buf.subarray(sigStart)))) return false;
      pub = next;
    }
    const last = new Cursor(cur.buf.subarray(cur.pos));
    if (!lmsVerifyAt(Buffer.from(message), pub, last)) return false;
    return last.pos === last.buf.length;
  } catch (err) {
    if (err instanceof Invalid) return false;
    throw err;
  }
}

// Advances over one LMS signature using the types inside it (§6.3 step 2 "parse").
function skipLmsSignature(cur: Cursor): void {
  cur.u32();
  const ots = LMOTS[cur.bytes(4).readUInt32BE(0)];
  if (!ots) throw new Invalid('ots unknown');
  cur.bytes(ots.n * (ots.p + 1));
  const lms = LMS[cur.u32()];
  if (!lms) throw new Invalid('lms unknown');
  cur.bytes(lms.m * lms.h);
}

/** The q of each level's signature, top-down (for leaf-index assertions). */
export function rfc8554LeafIndices(signature: Uint8Array): number[] {
  const cur = new Cursor(Buffer.from(signature));
  const Nspk = cur.u32();
  const qs: number[] = [];
  for (let i = 0; i <= Nspk; i++) {
    qs.push(cur.buf.readUInt32BE(cur.pos));
    skipLmsSignature(cur);
    if (i < Nspk) parseLmsPub(cur);
  }
  return qs;
}
