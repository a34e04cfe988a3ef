/** PKEY_SET/GET_ATTRIBUTES and PKEY_MATCH (docs/libhal-rpc.md §3.3, §6.3). */
import { KeyType, MatchState } from '../../src/hsm-adapter/constants';
import type { SoftHsm } from '../../src/soft-hsm';
import { DS, PUBLIC, TOKEN, ZERO_UUID, freshHsm, login, statusOf, User, type Fresh } from './support';

const attr = (type: number, text: string) => ({ type, value: Buffer.from(text) });

describe('soft HSM attributes', () => {
  let f: Fresh;
  let pkey: number;
  beforeEach(async () => {
    f = await freshHsm();
    await login(f.hsm, 1);
    pkey = f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | TOKEN }).pkey;
  });
  afterEach(() => f.cleanup());

  it('answers ATTRIBUTE_NOT_FOUND in both modes while the key has no attributes', async () => {
    expect(await statusOf(() => f.hsm.pkeyGetAttributes(1, { pkey, types: [1], bufferLen: 0 }))).toBe(
      'ATTRIBUTE_NOT_FOUND',
    );
    expect(await statusOf(() => f.hsm.pkeyGetAttributes(1, { pkey, types: [1], bufferLen: 100 }))).toBe(
      'ATTRIBUTE_NOT_FOUND',
    );
  });

  it('sets, reads, replaces and deletes (NIL) attributes', async () => {
    f.hsm.pkeySetAttributes(1, { pkey, attributes: [attr(0, 'label'), attr(0x102, 'id-1'), attr(5, '')] });
    expect(f.hsm.pkeyGetAttributes(1, { pkey, types: [0x102, 9, 0], bufferLen: 0 })).toEqual({
      lengths: [
        { type: 0x102, length: 4 },
        { type: 9, length: 0 },
        { type: 0, length: 5 },
      ],
    });
    expect(await statusOf(() => f.hsm.pkeyGetAttributes(1, { pkey, types: [0, 9], bufferLen: 100 }))).toBe(
      'ATTRIBUTE_NOT_FOUND',
    );
    expect(await statusOf(() => f.hsm.pkeyGetAttributes(1, { pkey, types: [0, 0x102], bufferLen: 8 }))).toBe(
      'RESULT_TOO_LONG',
    );
    f.hsm.pkeySetAttributes(1, {
      pkey,
      attributes: [attr(0, 'relabelled'), { type: 0x102, value: null }, { type: 77, value: null }],
    });
    expect(f.hsm.pkeyGetAttributes(1, { pkey, types: [0, 5], bufferLen: 10 })).toEqual({
      attributes: [
        { type: 0, value: Buffer.from('relabelled') },
        { type: 5, value: Buffer.alloc(0) },
      ],
    });
    expect(f.hsm.pkeyGetAttributes(1, { pkey, types: [0x102], bufferLen: 0 })).toEqual({
      lengths: [{ type: 0x102, length: 0 }],
    });
  });

  it('keeps attributes with the wrapped DER inside an 8192-byte block: overflow is RESULT_TOO_LONG and changes nothing', async () => {
    f.hsm.pkeySetAttributes(1, { pkey, attributes: [{ type: 1, value: Buffer.alloc(7000, 1) }] });
    expect(
      await statusOf(() =>
        f.hsm.pkeySetAttributes(1, {
          pkey,
          attributes: [attr(2, 'ok'), { type: 3, value: Buffer.alloc(1200, 3) }],
        }),
      ),
    ).toBe('RESULT_TOO_LONG');
    expect(f.hsm.pkeyGetAttributes(1, { pkey, types: [1, 2, 3], bufferLen: 0 })).toEqual({
      lengths: [
        { type: 1, length: 7000 },
        { type: 2, length: 0 },
        { type: 3, length: 0 },
      ],
    });
    // Replacing a value frees its old space first.
    f.hsm.pkeySetAttributes(1, { pkey, attributes: [{ type: 1, value: Buffer.alloc(7500, 2) }] });
  });

  it('persists token key attributes across a restart', async () => {
    const { name } = f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | TOKEN });
    const p2 = f.hsm.pkeyOpen(1, { session: 0, name }).pkey;
    f.hsm.pkeySetAttributes(1, { pkey: p2, attributes: [attr(0x3, 'persist me')] });
    f.reopen();
    await login(f.hsm, 1);
    const p3 = f.hsm.pkeyOpen(1, { session: 0, name }).pkey;
    expect(f.hsm.pkeyGetAttributes(1, { pkey: p3, types: [3], bufferLen: 64 })).toEqual({
      attributes: [{ type: 3, value: Buffer.from('persist me') }],
    });
  });

  it('needs a non-empty list and a writable key', async () => {
    expect(await statusOf(() => f.hsm.pkeySetAttributes(1, { pkey, attributes: [] }))).toBe('BAD_ARGUMENTS');
    expect(await statusOf(() => f.hsm.pkeyGetAttributes(1, { pkey, types: [], bufferLen: 0 }))).toBe(
      'BAD_ARGUMENTS',
    );
    f.hsm.logout(1);
    expect(await statusOf(() => f.hsm.pkeySetAttributes(1, { pkey, attributes: [attr(1, 'x')] }))).toBe(
      'FORBIDDEN',
    );
  });
});

describe('soft HSM PKEY_MATCH', () => {
  let f: Fresh;
  afterEach(() => f.cleanup());

  const query = (over: Partial<Parameters<SoftHsm['pkeyMatch']>[1]> = {}) => ({
    session: 0,
    type: 0,
    curve: 0,
    mask: 0,
    flags: 0,
    attributes: [] as { type: number; value: Buffer }[],
    state: 0,
    resultMax: 100,
    previous: ZERO_UUID,
    ...over,
  });

  /** The client loop of §3.3: repeat with the returned state and last UUID while n == result_max. */
  function matchAll(
    hsm: SoftHsm,
    client: number,
    over: Partial<Parameters<SoftHsm['pkeyMatch']>[1]> = {},
  ): Buffer[] {
    const names: Buffer[] = [];
    let state: number = MatchState.START;
    let previous: Buffer = ZERO_UUID;
    const resultMax = over.resultMax ?? 2;
    for (;;) {
      const page = hsm.pkeyMatch(client, query({ ...over, state, previous, resultMax }));
      names.push(...page.names);
      state = page.state;
      if (page.names.length < resultMax) return names;
      previous = page.names[page.names.length - 1];
    }
  }

  const sorted = (names: Buffer[]) => [...names].sort(Buffer.compare);

  it('pages through token keys in UUID order, then volatile keys, with filters', async () => {
    f = await freshHsm();
    await login(f.hsm, 1);
    const token = [1, 2, 3].map((c) => f.hsm.pkeyGenerateEc(1, { session: 0, curve: c, flags: DS | TOKEN }));
    const vol = [1, 1].map((c) => f.hsm.pkeyGenerateEc(1, { session: 0, curve: c, flags: DS }));
    f.hsm.pkeySetAttributes(1, { pkey: token[0].pkey, attributes: [attr(0, 'a')] });
    f.hsm.pkeySetAttributes(1, { pkey: vol[1].pkey, attributes: [attr(0, 'a'), attr(1, 'b')] });

    const all = matchAll(f.hsm, 1);
    expect(all).toEqual([...sorted(token.map((k) => k.name)), ...sorted(vol.map((k) => k.name))]);
    expect(matchAll(f.hsm, 1, { resultMax: 100 })).toEqual(all);
    expect(matchAll(f.hsm, 1, { curve: 1 })).toEqual([token[0].name, ...sorted(vol.map((k) => k.name))]);
    expect(matchAll(f.hsm, 1, { mask: TOKEN, flags: TOKEN })).toEqual(sorted(token.map((k) => k.name)));
    expect(matchAll(f.hsm, 1, { mask: TOKEN, flags: 0 })).toEqual(sorted(vol.map((k) => k.name)));
    expect(matchAll(f.hsm, 1, { attributes: [attr(0, 'a')] })).toEqual([token[0].name, vol[1].name]);
    expect(matchAll(f.hsm, 1, { attributes: [attr(0, 'a'), attr(1, 'b')] })).toEqual([vol[1].name]);
    expect(matchAll(f.hsm, 1, { attributes: [attr(0, 'A')] })).toEqual([]);
    expect(matchAll(f.hsm, 1, { type: KeyType.RSA_PRIVATE })).toEqual([]);
  });

  it('walks the state machine 0 → 1 → 2 → 3', async () => {
    f = await freshHsm();
    await login(f.hsm, 1);
    const t = f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | TOKEN });
    const v = f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS });
    const p1 = f.hsm.pkeyMatch(1, query({ resultMax: 1 }));
    expect(p1).toEqual({ state: MatchState.TOKEN, names: [t.name] });
    const p2 = f.hsm.pkeyMatch(1, query({ state: p1.state, previous: t.name, resultMax: 1 }));
    expect(p2).toEqual({ state: MatchState.VOLATILE, names: [v.name] });
    const p3 = f.hsm.pkeyMatch(1, query({ state: p2.state, previous: v.name, resultMax: 1 }));
    expect(p3).toEqual({ state: MatchState.DONE, names: [] });
    expect(f.hsm.pkeyMatch(1, query({ state: MatchState.DONE }))).toEqual({
      state: MatchState.DONE,
      names: [],
    });
    expect(await statusOf(() => f.hsm.pkeyMatch(1, query({ state: 4 })))).toBe('BAD_ARGUMENTS');
    expect(await statusOf(() => f.hsm.pkeyMatch(1, query({ resultMax: 0 })))).toBe('BAD_ARGUMENTS');
  });

  it('returns nothing (OK) when not logged in unless asking for PUBLIC, and hides other clients’ volatile keys from all but WHEEL', async () => {
    f = await freshHsm();
    await login(f.hsm, 1);
    const pub = f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | TOKEN | PUBLIC });
    const vol = f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS });
    expect(f.hsm.pkeyMatch(9, query())).toEqual({ state: 0, names: [] });
    expect(matchAll(f.hsm, 9, { mask: PUBLIC, flags: PUBLIC })).toEqual([pub.name]);
    await login(f.hsm, 2);
    expect(matchAll(f.hsm, 2)).toEqual([pub.name]);
    await login(f.hsm, 3, User.WHEEL);
    expect(matchAll(f.hsm, 3)).toEqual([pub.name, vol.name]);
  });
});
