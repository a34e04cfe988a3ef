import { createHash } from 'node:crypto';
import { ArgumentError } from '../../lib/errors';
import { hssGenerateKey } from './hss';
import { LmotsType, LmsType } from '../../lib/rfc8554-params';
import { HssPrivateStateJSON, hssStateFromJSON, hssStateToJSON } from './state';

let counter = 0;
const rng = (n: number): Uint8Array =>
  new Uint8Array(createHash('sha256').update(`s${counter++}`).digest().subarray(0, n));
const key = hssGenerateKey(
  { levels: 2, lmsType: LmsType.H5, lmotsType: LmotsType.W8 },
  { I: rng(16), SEED: rng(32) },
  rng,
);

describe('the HSS private state as JSON', () => {
  const json = hssStateToJSON(key.state);

  it('round-trips through JSON text to an equal state', () => {
    expect(hssStateFromJSON(JSON.parse(JSON.stringify(json)))).toEqual(key.state);
  });

  it('holds hex strings and numbers only', () => {
    expect(json.top).toEqual({
      I: expect.stringMatching(/^[0-9a-f]{32}$/),
      SEED: expect.stringMatching(/^[0-9a-f]{64}$/),
      root: expect.stringMatching(/^[0-9a-f]{64}$/),
      q: 1,
      qStart: 0,
      qEnd: 32,
    });
    expect(json.lower[0].signature).toHaveLength(2 * (8 + 1124 + 160));
  });

  const broken: [string, (j: HssPrivateStateJSON) => HssPrivateStateJSON, string][] = [
    [
      'a short top I',
      (j) => ({ ...j, top: { ...j.top, I: j.top.I.slice(2) } }),
      '"top.I" expected 16 bytes, got 15',
    ],
    [
      'uppercase hex',
      (j) => ({ ...j, top: { ...j.top, SEED: j.top.SEED.toUpperCase() } }),
      '"top.SEED" expected lowercase hex',
    ],
    [
      'q below qStart',
      (j) => ({ ...j, top: { ...j.top, qStart: 2 } }),
      '"top.q" expected an integer in [2, 32], got 1',
    ],
    ['a missing lower tree', (j) => ({ ...j, lower: [] }), '"lower" expected 1 trees for 2 levels'],
    [
      'a lower q past the end',
      (j) => ({ ...j, lower: [{ ...j.lower[0], q: 33 }] }),
      '"lower[0].q" expected an integer in [0, 32], got 33',
    ],
    [
      'a short lower signature',
      (j) => ({ ...j, lower: [{ ...j.lower[0], signature: j.lower[0].signature.slice(2) }] }),
      '"lower[0].signature" expected 1292 bytes, got 1291',
    ],
  ];

  it.each(broken)('refuses %s with a labelled message', (_case, change, text) => {
    expect(() => hssStateFromJSON(change(json))).toThrow(ArgumentError);
    expect(() => hssStateFromJSON(change(json))).toThrow(text);
  });
});
