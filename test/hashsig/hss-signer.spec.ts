/**
 * The HSS signer checked by the independent verifier (rfc8554-verify.ts), which shares no code
 * with src/soft-hsm/hashsig.
 */
import {
  HashsigKeyExhausted,
  HashsigStaleKey,
  HssKey,
  hssGenerateKey,
  hssLoadKey,
  hssPublicKey,
  hssRemainingSignatures,
  hssSign,
  hssStateFromJSON,
  hssStateToJSON,
} from '../../src/soft-hsm/hashsig';
import { hssSignatureLength, LmotsType, LmsType } from '../../src/lib/rfc8554-params';
import { rfc8554LeafIndices, rfc8554Verify } from './rfc8554-verify';
import { seededRng } from './seeded-rng';

const msg = (k: number): Uint8Array => new TextEncoder().encode(`message ${k}`);

function newKey(levels: number, lmsType: number, lmotsType: number, label: string, range = {}): HssKey {
  const rng = seededRng(label);
  return hssGenerateKey({ levels, lmsType, lmotsType }, { I: rng(16), SEED: rng(32), ...range }, rng);
}

/** Signs `count` messages in order; returns the signatures and the last key. */
function signMany(key: HssKey, count: number, label: string): { signatures: Uint8Array[]; key: HssKey } {
  const rng = seededRng(`${label}/sign`);
  const signatures: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const { signature, next } = hssSign(key, msg(k), rng);
    signatures.push(signature);
    key = next;
  }
  return { signatures, key };
}

describe.each([
  ['L1/H5/W8', 1, LmsType.H5, LmotsType.W8, 1124 + 8 + 160 + 4],
  ['L1/H5/W4', 1, LmsType.H5, LmotsType.W4, 2352],
  ['L2/H5/W2', 2, LmsType.H5, LmotsType.W2, 8980],
  ['L3/H5/W8', 3, LmsType.H5, LmotsType.W8, 4 + 3 * (8 + 1124 + 160) + 2 * 56],
  ['L1/H10/W4', 1, LmsType.H10, LmotsType.W4, 4 + 8 + 2180 + 320],
])('a fresh %s key', (name, levels, lmsType, lmotsType, expectedLength) => {
  const key = newKey(levels, lmsType, lmotsType, name);
  const publicKey = hssPublicKey(key.state);
  const { signatures } = signMany(key, 3, name);

  it('signs messages the independent verifier accepts, and only for their message', () => {
    signatures.forEach((signature, k) => {
      expect(rfc8554Verify(publicKey, msg(k), signature)).toBe(true);
      expect(rfc8554Verify(publicKey, msg(k + 1), signature)).toBe(false);
    });
  });

  it(`makes signatures of the libhal length ${expectedLength}`, () => {
    expect(signatures.map((s) => s.length)).toEqual([expectedLength, expectedLength, expectedLength]);
    expect(hssSignatureLength(levels, lmsType, lmotsType)).toBe(expectedLength);
  });

  it('has the RFC 8554 public key u32str(L) || lms_public_key', () => {
    expect(publicKey.length).toBe(60);
    expect(Buffer.from(publicKey.subarray(0, 12)).toString('hex')).toBe(
      [levels, lmsType, lmotsType].map((v) => v.toString(16).padStart(8, '0')).join(''),
    );
  });
});

describe('an L1/H5 key', () => {
  const key = (): HssKey => newKey(1, LmsType.H5, LmotsType.W8, 'l1h5');
  const publicKey = hssPublicKey(key().state);

  it('signs each leaf 0..31 once, then refuses with HashsigKeyExhausted', () => {
    const { signatures, key: used } = signMany(key(), 32, 'l1h5');
    expect(signatures.map((s) => rfc8554LeafIndices(s)[0])).toEqual([...Array(32).keys()]);
    signatures.forEach((s, k) => expect(rfc8554Verify(publicKey, msg(k), s)).toBe(true));
    expect(hssRemainingSignatures(used.state)).toBe(0n);
    expect(() => hssSign(used, msg(32), seededRng('x'))).toThrow(HashsigKeyExhausted);
  });

  it('leaves the key it was given unchanged when signing, and refuses to sign with it again', () => {
    const fresh = key();
    const before = hssStateToJSON(fresh.state);
    const { next } = hssSign(fresh, msg(0), seededRng('y'));
    expect(hssStateToJSON(fresh.state)).toEqual(before);
    expect(() => hssSign(fresh, msg(1), seededRng('y'))).toThrow(HashsigStaleKey);
    expect(rfc8554LeafIndices(hssSign(next, msg(1), seededRng('y')).signature)).toEqual([1]);
  });
});

describe('an L2/H5/W2 key signing past its first bottom tree', () => {
  const key = newKey(2, LmsType.H5, LmotsType.W2, 'l2h5');
  const publicKey = hssPublicKey(key.state);
  const { signatures, key: used } = signMany(key, 70, 'l2h5');
  const paths = signatures.map(rfc8554LeafIndices);

  it('verifies every signature, before and after the bottom tree was replaced', () => {
    signatures.forEach((s, k) => expect(rfc8554Verify(publicKey, msg(k), s)).toBe(true));
  });

  it('uses top leaves 0, 1, 2 for the three bottom trees and every bottom leaf once per tree', () => {
    expect(paths).toEqual([...Array(70).keys()].map((k) => [Math.floor(k / 32), k % 32]));
    expect(used.state.top.q).toBe(3);
    expect(used.state.lower[0].q).toBe(6);
  });

  it('counts 32·32 − 70 signatures left: replacing a bottom tree wastes no leaf', () => {
    expect(hssRemainingSignatures(key.state)).toBe(32n * 32n);
    expect(hssRemainingSignatures(used.state)).toBe(32n * 32n - 70n);
  });
});

describe('a key rebuilt from (I, SEED, params, qStart = 10, qEnd = 14)', () => {
  const rng = seededRng('rebuilt');
  const I = rng(16);
  const SEED = rng(32);
  const params = { levels: 1, lmsType: LmsType.H5, lmotsType: LmotsType.W4 };
  const original = hssGenerateKey(params, { I, SEED }, rng);
  const rebuilt = hssGenerateKey(params, { I, SEED, qStart: 10, qEnd: 14 }, seededRng('other'));

  it('has the same public key as the original', () => {
    expect(hssPublicKey(rebuilt.state)).toEqual(hssPublicKey(original.state));
  });

  it('signs leaves 10..13 only, verifiable under that public key, then is exhausted', () => {
    const { signatures, key: used } = signMany(rebuilt, 4, 'rebuilt');
    expect(signatures.map((s) => rfc8554LeafIndices(s)[0])).toEqual([10, 11, 12, 13]);
    signatures.forEach((s, k) => expect(rfc8554Verify(hssPublicKey(original.state), msg(k), s)).toBe(true));
    expect(() => hssSign(used, msg(4), seededRng('z'))).toThrow(HashsigKeyExhausted);
  });

  it('with L2, spends top leaf qStart on its first bottom tree and top leaves stay in range', () => {
    const two = { ...params, levels: 2 };
    const full = hssGenerateKey(two, { I, SEED }, seededRng('two'));
    const part = hssGenerateKey(two, { I, SEED, qStart: 30, qEnd: 32 }, seededRng('two-part'));
    expect(hssPublicKey(part.state)).toEqual(hssPublicKey(full.state));
    const { signatures, key: used } = signMany(part, 64, 'two-part');
    expect(new Set(signatures.map((s) => rfc8554LeafIndices(s)[0]))).toEqual(new Set([30, 31]));
    signatures.forEach((s, k) => expect(rfc8554Verify(hssPublicKey(full.state), msg(k), s)).toBe(true));
    expect(() => hssSign(used, msg(64), seededRng('w'))).toThrow(HashsigKeyExhausted);
  });
});

describe('a persisted L3 key', () => {
  const key = newKey(3, LmsType.H5, LmotsType.W8, 'persist');
  const publicKey = hssPublicKey(key.state);
  const { key: used } = signMany(key, 40, 'persist');

  it('loads from its JSON state and continues with the next leaves', () => {
    const loaded = hssLoadKey(hssStateFromJSON(JSON.parse(JSON.stringify(hssStateToJSON(used.state)))));
    const { signatures } = signMany(loaded, 2, 'persist-after');
    expect(signatures.map(rfc8554LeafIndices)).toEqual([
      [0, 1, 8],
      [0, 1, 9],
    ]);
    signatures.forEach((s, k) => expect(rfc8554Verify(publicKey, msg(k), s)).toBe(true));
  });
});
