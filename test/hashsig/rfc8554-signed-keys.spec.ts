/**
 * `hssUnsignedLevel` (src/lib/rfc8554-verify.ts): what the service can check of an observed HSS
 * signature without its message — that every lower-level public key is signed by the level above —
 * on the RFC 8554 Appendix F vectors (two levels each).
 */
import vectors from '../vectors/rfc8554-appendix-f.json';
import { parseHssPublicKey, parseHssSignature } from '../../src/lib/rfc8554';
import { lmotsParams, lmsParams, lmsSignatureLength } from '../../src/lib/rfc8554-params';
import { hssUnsignedLevel } from '../../src/lib/rfc8554-verify';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

describe.each(vectors.cases)('RFC 8554 Appendix F, $name', (vector) => {
  const pub = parseHssPublicKey(hex(vector.publicKey));
  const signature = hex(vector.signature);
  const level0 = parseHssSignature(signature).signedPublicKeys[0]!;
  // u32str(Nspk) || level-0 LMS signature || level-1 LMS public key (type, otstype, I, T[1]) || …
  const level1Key =
    4 + lmsSignatureLength(lmsParams(level0.signature.lmsType), lmotsParams(level0.signature.lmotsType));

  it('has every lower-level public key signed by the level above', () => {
    expect(hssUnsignedLevel(pub, parseHssSignature(signature))).toBeNull();
  });

  it.each([
    ['I', 8],
    ['T[1]', 8 + 16 + 5],
  ])('names level 1 when its public key %s was changed', (_field, offset) => {
    const changed = signature.slice();
    changed[level1Key + offset]! ^= 0x01;
    expect(hssUnsignedLevel(pub, parseHssSignature(changed))).toBe(1);
  });

  it('does not look at the bottom signature (that needs the message)', () => {
    const changed = signature.slice();
    changed[changed.length - 1]! ^= 0x01;
    expect(hssUnsignedLevel(pub, parseHssSignature(changed))).toBeNull();
  });
});
