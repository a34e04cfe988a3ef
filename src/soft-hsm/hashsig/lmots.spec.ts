import { createHash, randomBytes } from 'node:crypto';
import { ArgumentError, HashsigMalformed } from '../../lib/errors';
import { lmotsCandidatePublicKey, lmotsDigits, lmotsPublicKey, lmotsSign } from './lmots';
import { LmotsType, lmotsParams } from '../../lib/rfc8554-params';

const I = randomBytes(16);
const SEED = randomBytes(32);
const message = new TextEncoder().encode('LM-OTS');

describe.each(Object.entries(LmotsType))('LM-OTS %s', (_name, type) => {
  const ots = lmotsParams(type);
  const K = lmotsPublicKey(type, I, 3, SEED);

  it('gives a signature whose candidate public key (Algorithm 4b) is K', () => {
    const sig = lmotsSign(type, I, 3, SEED, message, randomBytes(32));
    expect(sig.length).toBe(ots.sigLength);
    expect(lmotsCandidatePublicKey(sig, type, I, 3, message)).toEqual(K);
  });

  it('gives another candidate for another message, leaf or I', () => {
    const sig = lmotsSign(type, I, 3, SEED, message, randomBytes(32));
    expect(lmotsCandidatePublicKey(sig, type, I, 3, new Uint8Array(1))).not.toEqual(K);
    expect(lmotsCandidatePublicKey(sig, type, I, 4, message)).not.toEqual(K);
    expect(lmotsCandidatePublicKey(sig, type, randomBytes(16), 3, message)).not.toEqual(K);
  });

  it('refuses a signature of another type or length as malformed', () => {
    const sig = lmotsSign(type, I, 3, SEED, message, randomBytes(32));
    const otherType = (type % 4) + 1;
    expect(() => lmotsCandidatePublicKey(sig, otherType, I, 3, message)).toThrow(HashsigMalformed);
    expect(() => lmotsCandidatePublicKey(sig.subarray(0, sig.length - 1), type, I, 3, message)).toThrow(
      HashsigMalformed,
    );
    expect(() => lmotsCandidatePublicKey(new Uint8Array([...sig, 0]), type, I, 3, message)).toThrow(
      HashsigMalformed,
    );
  });
});

describe('lmotsDigits (RFC 8554 §4.4 coef and Cksm)', () => {
  it('for W8 and Q = 0x00…00 is 32 zeros and checksum 255·32 = 0x1fe0', () => {
    const a = lmotsDigits(lmotsParams(LmotsType.W8), new Uint8Array(32));
    expect([...a]).toEqual([...Array(32).fill(0), 0x1f, 0xe0]);
  });

  it('for W4 and Q = 0xff…ff is 64 fifteens and a zero checksum', () => {
    const a = lmotsDigits(lmotsParams(LmotsType.W4), new Uint8Array(32).fill(0xff));
    expect([...a]).toEqual([...Array(64).fill(15), 0, 0, 0]);
  });

  it('for W1 splits bytes most significant bit first and shifts the checksum left by ls = 7', () => {
    const Q = new Uint8Array(32);
    Q[0] = 0b10100000;
    const a = lmotsDigits(lmotsParams(LmotsType.W1), Q);
    expect([...a.subarray(0, 4)]).toEqual([1, 0, 1, 0]);
    // Cksm = 254, << 7 = 0x7f00: bits 0111 1111 0 (nine checksum digits)
    expect([...a.subarray(256)]).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 0]);
  });
});

describe('LM-OTS private keys (RFC 8554 Appendix A)', () => {
  it('derive x_q[i] = H(I || u32str(q) || u16str(i) || u8str(0xff) || SEED): W8 chain of y[0] from it', () => {
    // With a digit of 0 the signature's y[0] is x_q[0] itself: find a message whose a_0 is 0.
    const ots = lmotsParams(LmotsType.W8);
    for (let k = 0; k < 2000; k++) {
      const C = createHash('sha256').update(`C${k}`).digest();
      const Q = createHash('sha256')
        .update(Buffer.concat([I, Buffer.from('00000009', 'hex'), Buffer.from([0x81, 0x81]), C, message]))
        .digest();
      if (lmotsDigits(ots, Q)[0] !== 0) continue;
      const sig = lmotsSign(LmotsType.W8, I, 9, SEED, message, C);
      const x0 = createHash('sha256')
        .update(Buffer.concat([I, Buffer.from('00000009', 'hex'), Buffer.from('0000ff', 'hex'), SEED]))
        .digest();
      expect(Buffer.from(sig.subarray(36, 68))).toEqual(x0);
      return;
    }
    throw new Error('no message with a_0 = 0 among 2000 randomisers');
  });
});

describe('LM-OTS inputs', () => {
  it.each([
    ['I', () => lmotsPublicKey(4, new Uint8Array(15), 0, SEED), '"I" expected 16 bytes, got 15'],
    ['SEED', () => lmotsPublicKey(4, I, 0, new Uint8Array(31)), '"SEED" expected 32 bytes, got 31'],
    ['C', () => lmotsSign(4, I, 0, SEED, message, new Uint8Array(16)), '"C" expected 32 bytes, got 16'],
    ['q', () => lmotsPublicKey(4, I, -1, SEED), '"q" expected an integer in [0, 4294967295], got -1'],
  ])('refuses a bad %s with a labelled message', (_field, call, text) => {
    expect(call).toThrow(ArgumentError);
    expect(call).toThrow(text);
  });
});
