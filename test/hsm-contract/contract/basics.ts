/** GET_VERSION, GET_RANDOM, login and PIN rules, per-connection session state (§1.3, §3.3, §4.3). */
import { Curve, RPC_VERSION } from '../../../src/hsm-adapter/constants';
import { MAX_RESULT_BYTES } from '../../../src/hsm-adapter';
import { DS, PIN, statusOf, TOKEN, User, type ContractContext } from './context';

export function basicsContract(ctx: ContractContext): void {
  describe('GET_VERSION and GET_RANDOM', () => {
    it('reports RPC version 1.1.1.0 (§3.2), logged in or not', async () => {
      expect(await (await ctx.client(ctx.a, { pin: null })).getVersion()).toBe(RPC_VERSION);
      expect(await (await ctx.client(ctx.a)).getVersion()).toBe(0x01010100);
    });

    it('returns exactly the bytes asked for, fresh each time, up to what fits the packet (§1.5)', async () => {
      const hsm = await ctx.client(ctx.a, { pin: null });
      const [r1, r2] = [await hsm.getRandom(32), await hsm.getRandom(32)];
      expect([r1.length, r2.length]).toEqual([32, 32]);
      expect(r1.equals(r2)).toBe(false);
      expect((await hsm.getRandom(0)).length).toBe(0);
      expect((await hsm.getRandom(MAX_RESULT_BYTES)).length).toBe(16368);
      await expect(hsm.getRandom(MAX_RESULT_BYTES + 1)).rejects.toThrow(RangeError);
    });
  });

  describe('given a client that has not logged in', () => {
    it('is logged in as nobody, cannot create token keys and matches nothing (§3.3, §4.3)', async () => {
      const hsm = await ctx.client(ctx.a, { pin: null });
      expect(await hsm.isLoggedIn(User.NORMAL)).toBe(false);
      expect(await hsm.isLoggedIn(User.WHEEL)).toBe(false);
      expect(await statusOf(() => hsm.generateEc(Curve.P256, DS | TOKEN))).toEqual({
        status: 'FORBIDDEN',
        rpc: 'PKEY_GENERATE_EC',
      });
      expect(await hsm.match()).toEqual([]);
    });
  });

  describe('login', () => {
    it('logs in as exactly one user; a new login replaces the old (§3.3 LOGIN, IS_LOGGED_IN)', async () => {
      const hsm = await ctx.client(ctx.a, { pin: null });
      await hsm.login(User.NORMAL, PIN);
      expect([await hsm.isLoggedIn(User.NORMAL), await hsm.isLoggedIn(User.WHEEL)]).toEqual([true, false]);
      await hsm.login(User.WHEEL, PIN);
      expect([await hsm.isLoggedIn(User.NORMAL), await hsm.isLoggedIn(User.WHEEL)]).toEqual([false, true]);
      await hsm.logout();
      expect([await hsm.isLoggedIn(User.NORMAL), await hsm.isLoggedIn(User.WHEEL)]).toEqual([false, false]);
    });

    it('refuses a wrong PIN with PIN_INCORRECT, keeping the PIN out of the message and the old login in place', async () => {
      const hsm = await ctx.client(ctx.a);
      const wrong = 'not-the-pin-7731';
      const error = await hsm.login(User.WHEEL, wrong).then(
        () => undefined,
        (e: unknown) => e as Error & { status?: string; rpc?: string; code?: number },
      );
      expect({ status: error?.status, rpc: error?.rpc, code: error?.code }).toEqual({
        status: 'PIN_INCORRECT',
        rpc: 'LOGIN',
        code: 24,
      });
      expect(`${error?.message} ${error?.stack}`).not.toContain(wrong);
      expect(await hsm.isLoggedIn(User.NORMAL)).toBe(true);
    });

    it('fails Hsm.connect with PIN_INCORRECT for a wrong PIN', async () => {
      await expect(ctx.a.connect({ pin: 'wrong-pin' })).rejects.toMatchObject({
        status: 'PIN_INCORRECT',
        rpc: 'LOGIN',
      });
    });

    it('refuses PINs outside 4..4096 bytes before sending them (§4.5)', async () => {
      const hsm = await ctx.client(ctx.a, { pin: null });
      await expect(hsm.login(User.NORMAL, 'abc')).rejects.toThrow('"pin" expected 4..4096 bytes, got 3');
      await expect(hsm.login(User.NORMAL, Buffer.alloc(4097, 0x61))).rejects.toThrow(RangeError);
    });

    it('keeps the SO from using keys (§4.3)', async () => {
      const hsm = await ctx.client(ctx.a, { user: User.SO });
      expect(await hsm.isLoggedIn(User.SO)).toBe(true);
      expect(await statusOf(() => hsm.generateEc(Curve.P256, DS | TOKEN))).toEqual({
        status: 'FORBIDDEN',
        rpc: 'PKEY_GENERATE_EC',
      });
    });

    it('logs every pooled connection in, and out again (§1.3: login is per connection)', async () => {
      const hsm = await ctx.client(ctx.a, { poolSize: 3 });
      const all = (user: 1 | 2 | 3) => Promise.all([1, 2, 3, 4, 5, 6].map(() => hsm.isLoggedIn(user)));
      expect(await all(User.NORMAL)).toEqual([true, true, true, true, true, true]);
      await hsm.login(User.WHEEL, PIN);
      expect(await all(User.WHEEL)).toEqual([true, true, true, true, true, true]);
      await hsm.logout();
      expect(await all(User.WHEEL)).toEqual([false, false, false, false, false, false]);
    });
  });

  describe('SET_PIN', () => {
    it('lets the SO set the user PIN but not the user itself (§3.3 SET_PIN)', async () => {
      const fresh = await ctx.fresh({ kek: Buffer.alloc(32, 0x5e) });
      const user = await ctx.client(fresh);
      expect(await statusOf(() => user.setPin(User.NORMAL, 'new-user-pin'))).toEqual({
        status: 'FORBIDDEN',
        rpc: 'SET_PIN',
      });
      const so = await ctx.client(fresh, { user: User.SO });
      await so.setPin(User.NORMAL, 'new-user-pin');
      await expect(fresh.connect({ pin: PIN })).rejects.toMatchObject({ status: 'PIN_INCORRECT' });
      const again = await ctx.client(fresh, { pin: 'new-user-pin' });
      expect(await again.isLoggedIn(User.NORMAL)).toBe(true);
      expect(await statusOf(() => so.setPin(User.WHEEL, 'new-wheel-pin'))).toEqual({
        status: 'FORBIDDEN',
        rpc: 'SET_PIN',
      });
    });
  });

  describe('volatile keys (§1.3, §6.1)', () => {
    it('are visible to the connection that made them, not to another client, and die with the connection', async () => {
      const owner = await ctx.client(ctx.a, { poolSize: 1 });
      const other = await ctx.client(ctx.a);
      const key = await owner.generateEc(Curve.P256, DS);
      expect(await owner.getKeyFlags(await owner.open(key.uuid))).toBe(DS);
      expect(await statusOf(() => other.open(key.uuid))).toEqual({
        status: 'KEY_NOT_FOUND',
        rpc: 'PKEY_OPEN',
      });
      owner.disconnect();
      const later = await ctx.client(ctx.a, { poolSize: 1 });
      await expect(later.open(key.uuid)).rejects.toMatchObject({ status: 'KEY_NOT_FOUND', code: 21 });
    });
  });

  describe('errors', () => {
    it('name the RPC and carry the libhal status code', async () => {
      const hsm = await ctx.client(ctx.a);
      await expect(hsm.open('00112233-4455-6677-8899-aabbccddeeff')).rejects.toMatchObject({
        kind: 'status',
        status: 'KEY_NOT_FOUND',
        code: 21,
        rpc: 'PKEY_OPEN',
      });
      await expect(hsm.getPublicKey(0x7fff_0001)).rejects.toMatchObject({
        status: 'KEY_NOT_FOUND',
        rpc: 'PKEY_GET_PUBLIC_KEY',
      });
      await expect(hsm.generateRsa(1028, 65537, DS)).rejects.toMatchObject({
        status: 'BAD_ARGUMENTS',
        rpc: 'PKEY_GENERATE_RSA',
      });
      await expect(hsm.generateEc(Curve.P256, 0x40 | DS)).rejects.toMatchObject({ status: 'BAD_ARGUMENTS' });
      expect(await hsm.getVersion()).toBe(RPC_VERSION);
    });
  });
}
