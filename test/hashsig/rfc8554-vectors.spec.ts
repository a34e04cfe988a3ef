import vectors from '../vectors/rfc8554-appendix-f.json';
import { hssSignatureIndexPath, parseHssSignature } from '../../src/lib/rfc8554';
import { hssVerify } from '../../src/lib/rfc8554-verify';
import { rfc8554Verify } from './rfc8554-verify';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

// The service's verifier (the soft HSM's too) and the test's independent one.
const verifiers = [
  ['src/lib hssVerify (service and soft HSM)', hssVerify],
  ['independent rfc8554Verify', rfc8554Verify],
] as const;

describe.each(vectors.cases)('RFC 8554 Appendix F, $name', (vector) => {
  const publicKey = hex(vector.publicKey);
  const message = hex(vector.message);
  const signature = hex(vector.signature);

  describe.each(verifiers)('%s', (_name, verify) => {
    it('accepts the signature', () => {
      expect(verify(publicKey, message, signature)).toBe(true);
    });

    it('rejects a modified message', () => {
      const changed = message.slice();
      changed[0] ^= 1;
      expect(verify(publicKey, changed, signature)).toBe(false);
    });

    it.each([
      ['Nspk', 3],
      ['level-0 q', 4 + 3],
      ['level-0 C', 4 + 4 + 4 + 5],
      ['level-0 y[0]', 4 + 4 + 4 + 32 + 1],
      ['the last byte (bottom path)', signature.length - 1],
      ['a middle byte', signature.length >> 1],
    ])('rejects a signature with %s changed', (_field, offset) => {
      const changed = signature.slice();
      changed[offset] ^= 0x01;
      expect(verify(publicKey, message, changed)).toBe(false);
    });

    it('rejects the signature with one byte appended or removed', () => {
      expect(verify(publicKey, message, new Uint8Array([...signature, 0]))).toBe(false);
      expect(verify(publicKey, message, signature.subarray(0, signature.length - 1))).toBe(false);
    });
  });

  it(`has the index path q = ${vector.q.join(', ')}`, () => {
    expect(parseHssSignature(signature).indexPath.map((l) => l.q)).toEqual(vector.q);
    const path = hssSignatureIndexPath(publicKey, signature);
    expect(path.map((l) => l.q)).toEqual(vector.q);
    expect(Buffer.from(path[0].I).toString('hex')).toBe(vector.publicKey.slice(24, 56));
  });
});
