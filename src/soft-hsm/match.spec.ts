import { MatchState } from '../hsm-adapter/constants';
import type { KeyRecord } from './keystore/key-record';
import { matchPage, type MatchQuery } from './match';

const rec = (first: number, type: number, flags: number): KeyRecord => ({
  name: Buffer.concat([Buffer.from([first]), Buffer.alloc(15)]),
  type,
  curve: 0,
  flags,
  der: Buffer.alloc(16),
  attributes: [],
});

const token = [rec(0x10, 1, 0x09), rec(0x20, 3, 0x09), rec(0x30, 1, 0x0b)];
const volatile = [rec(0x05, 1, 0x01), rec(0x40, 2, 0x01)];
const sources = { token: () => token, volatile: () => volatile };
const q = (over: Partial<MatchQuery>): MatchQuery => ({
  type: 0,
  curve: 0,
  mask: 0,
  flags: 0,
  attributes: [],
  state: 0,
  resultMax: 10,
  previous: Buffer.alloc(16),
  ...over,
});
const firsts = (r: { names: Buffer[] }) => r.names.map((n) => n[0]);

describe('matchPage', () => {
  it('scans token then volatile, each in UUID order, ending in state DONE', () => {
    const r = matchPage(q({}), sources, 'T');
    expect({ state: r.state, names: firsts(r) }).toEqual({
      state: MatchState.DONE,
      names: [0x10, 0x20, 0x30, 0x05, 0x40],
    });
  });

  it('pages: stops when result_max is reached and resumes after `previous` in the returned state', () => {
    const p1 = matchPage(q({ resultMax: 2 }), sources, 'T');
    expect({ state: p1.state, names: firsts(p1) }).toEqual({ state: MatchState.TOKEN, names: [0x10, 0x20] });
    const p2 = matchPage(q({ resultMax: 2, state: p1.state, previous: p1.names[1] }), sources, 'T');
    expect({ state: p2.state, names: firsts(p2) }).toEqual({
      state: MatchState.VOLATILE,
      names: [0x30, 0x05],
    });
    const p3 = matchPage(q({ resultMax: 2, state: p2.state, previous: p2.names[1] }), sources, 'T');
    expect({ state: p3.state, names: firsts(p3) }).toEqual({ state: MatchState.DONE, names: [0x40] });
  });

  it('filters by type and by (flags XOR key.flags) AND mask, skipping a store the TOKEN mask excludes', () => {
    expect(firsts(matchPage(q({ type: 1 }), sources, 'T'))).toEqual([0x10, 0x30, 0x05]);
    expect(firsts(matchPage(q({ mask: 0x02, flags: 0x02 }), sources, 'T'))).toEqual([0x30]);
    expect(firsts(matchPage(q({ mask: 0x08, flags: 0x00 }), sources, 'T'))).toEqual([0x05, 0x40]);
    expect(firsts(matchPage(q({ mask: 0x08, flags: 0x08 }), sources, 'T'))).toEqual([0x10, 0x20, 0x30]);
  });

  it('rejects an unknown state with BAD_ARGUMENTS', () => {
    expect(() => matchPage(q({ state: 4 }), sources, 'T')).toThrow(
      expect.objectContaining({ status: 'BAD_ARGUMENTS' }),
    );
  });
});
