import { createHash } from 'node:crypto';
import { ArgumentError, HashsigUnsupportedType } from '../../lib/errors';
import { HashsigKeyExhausted, HashsigStateInconsistent } from './errors';
import { HssKey, hssGenerateKey, hssLoadKey, hssPublicKey, hssRemainingSignatures, hssSign } from './hss';
import { hssVerify } from './hss-verify';
import { parseHssSignature } from '../../lib/rfc8554';
import { LmotsType, LmsType } from '../../lib/rfc8554-params';
import { HssPrivateState } from './state';

function seeded(label: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => new Uint8Array(createHash('sha256').update(`${label}:${counter++}`).digest().subarray(0, n));
}

const params = { levels: 2, lmsType: LmsType.H5, lmotsType: LmotsType.W4 };

function signAll(key: HssKey, count: number, rng = seeded('sign')): { key: HssKey; qs: number[][] } {
  const qs: number[][] = [];
  for (let k = 0; k < count; k++) {
    const { signature, next } = hssSign(key, Uint8Array.of(k), rng);
    qs.push(parseHssSignature(signature).indexPath.map((l) => l.q));
    key = next;
  }
  return { key, qs };
}

describe('given an L2/H5 key limited to the last top leaf (qStart 31, qEnd 32)', () => {
  const rng = seeded('last-leaf');
  const key = hssGenerateKey(params, { I: rng(16), SEED: rng(32), qStart: 31, qEnd: 32 }, rng);

  it('keygen spent top leaf 31 on the bottom tree: the top is at its end, 32 signatures remain', () => {
    expect(key.state.top.q).toBe(32);
    expect(hssRemainingSignatures(key.state)).toBe(32n);
  });

  it('signs with the bottom tree 32 times, then throws HashsigKeyExhausted and keeps the key', () => {
    const { key: used, qs } = signAll(key, 32);
    expect(qs).toEqual([...Array(32).keys()].map((q) => [31, q]));
    const state = used.state;
    expect(() => hssSign(used, Uint8Array.of(1), seeded('again'))).toThrow(HashsigKeyExhausted);
    expect(() => hssSign(used, Uint8Array.of(1), seeded('again'))).toThrow(
      'hashsig key exhausted: top tree is at leaf 32 of range end 32',
    );
    expect(used.state).toBe(state);
  });
});

describe('given an L3/H5/W4 key', () => {
  const rng = seeded('l3');
  const key = hssGenerateKey({ ...params, levels: 3 }, { I: rng(16), SEED: rng(32) }, rng);

  it('replaces level 2 every 32 signatures and level 1 every 1024, spending a parent leaf each time', () => {
    const { key: used, qs } = signAll(key, 33);
    expect(qs[31]).toEqual([0, 0, 31]);
    expect(qs[32]).toEqual([0, 1, 0]);
    // Skip ahead: mark level 1 as used up; the next signature replaces levels 1 and 2.
    const lower = [
      { ...used.state.lower[0], q: 32 },
      { ...used.state.lower[1], q: 32 },
    ];
    const ahead: HssKey = { ...used, state: { ...used.state, lower } };
    const { signature, next } = hssSign(ahead, Uint8Array.of(9), seeded('ahead'));
    expect(parseHssSignature(signature).indexPath.map((l) => l.q)).toEqual([1, 0, 0]);
    expect(hssVerify(hssPublicKey(key.state), Uint8Array.of(9), signature)).toBe(true);
    expect(next.state.top.q).toBe(2);
    expect(next.state.lower.map((t) => t.q)).toEqual([1, 1]);
  });
});

describe('hssLoadKey', () => {
  const rng = seeded('load');
  const { key } = signAll(hssGenerateKey(params, { I: rng(16), SEED: rng(32) }, rng), 3);

  it('rebuilds a key that signs the next leaf', () => {
    const loaded = hssLoadKey(key.state);
    expect(signAll(loaded, 1).qs).toEqual([[0, 3]]);
    expect(loaded.trees.map((t) => t.root)).toEqual(key.trees.map((t) => t.root));
  });

  const tampered: [string, (s: HssPrivateState) => HssPrivateState, RegExp][] = [
    ['a wrong top root', (s) => ({ ...s, top: { ...s.top, root: new Uint8Array(32) } }), /top tree root/],
    [
      "another lower tree's SEED",
      (s) => ({ ...s, lower: [{ ...s.lower[0], SEED: new Uint8Array(32) }] }),
      /lower\[0\]\.signature is not a signature/,
    ],
    [
      'a flipped byte in the lower signature',
      (s) => {
        const signature = s.lower[0].signature.slice();
        signature[100] ^= 1;
        return { ...s, lower: [{ ...s.lower[0], signature }] };
      },
      /lower\[0\]\.signature is not a signature/,
    ],
    [
      "a lower tree signed by a top leaf before qStart (another copy's range)",
      (s) => ({ ...s, top: { ...s.top, qStart: 1 } }),
      /by a used leaf of level 0/,
    ],
    [
      'a top q that was rolled back below the leaf that signed level 1',
      (s) => ({ ...s, top: { ...s.top, q: 0 } }),
      /by a used leaf of level 0/,
    ],
  ];

  it.each(tampered)('refuses a state with %s', (_case, change, reason) => {
    expect(() => hssLoadKey(change(key.state))).toThrow(HashsigStateInconsistent);
    expect(() => hssLoadKey(change(key.state))).toThrow(reason);
  });
});

describe('hssGenerateKey inputs', () => {
  const I = new Uint8Array(16);
  const SEED = new Uint8Array(32);
  const rng = seeded('inputs');

  it.each([
    ['L = 0', { ...params, levels: 0 }, {}, ArgumentError, '"levels" expected an integer in [1, 8], got 0'],
    ['L = 9', { ...params, levels: 9 }, {}, ArgumentError, '"levels"'],
    ['LMS type 4', { ...params, lmsType: 4 }, {}, HashsigUnsupportedType, 'unsupported LMS type 4'],
    ['LM-OTS type 0', { ...params, lmotsType: 0 }, {}, HashsigUnsupportedType, 'unsupported LM-OTS type 0'],
    ['qStart = 32', params, { qStart: 32 }, ArgumentError, '"qStart" expected an integer in [0, 31], got 32'],
    ['qEnd = qStart', params, { qStart: 5, qEnd: 5 }, ArgumentError, '"qEnd" expected an integer in [6, 32]'],
    ['qEnd = 33', params, { qEnd: 33 }, ArgumentError, '"qEnd"'],
    ['a 15-byte I', params, { I: new Uint8Array(15) }, ArgumentError, '"I" expected 16 bytes, got 15'],
  ])('refuses %s', (_case, p, seed, type, text) => {
    const call = (): HssKey => hssGenerateKey(p, { I, SEED, ...seed }, rng);
    expect(call).toThrow(type);
    expect(call).toThrow(text);
  });

  it('refuses an rng that returns the wrong number of bytes', () => {
    expect(() => hssGenerateKey(params, { I, SEED }, () => new Uint8Array(8))).toThrow(
      'rng for "I" expected to return 16 bytes',
    );
  });
});
