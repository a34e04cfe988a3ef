/** LOGIN, LOGOUT, IS_LOGGED_IN and SET_PIN rules (docs/libhal-rpc.md §3.3, §4.5). */
import { HAL_FACTORY_WHEEL_PIN } from '../../src/hsm-adapter/constants';
import { SoftHsm } from '../../src/soft-hsm';
import { DS, freshHsm, login, PIN, statusOf, User, type Fresh } from './support';

describe('soft HSM login', () => {
  let f: Fresh;
  afterEach(() => f.cleanup());

  describe('given an HSM initialised with PIN fnord', () => {
    beforeEach(async () => (f = await freshHsm()));

    it('logs a client in as exactly one user, a new login replacing the old', async () => {
      expect(await statusOf(() => f.hsm.isLoggedIn(7, { user: User.NORMAL }))).toBe('FORBIDDEN');
      await login(f.hsm, 7, User.WHEEL);
      expect(await statusOf(() => f.hsm.isLoggedIn(7, { user: User.WHEEL }))).toBe('OK');
      expect(await statusOf(() => f.hsm.isLoggedIn(7, { user: User.NORMAL }))).toBe('FORBIDDEN');
      await login(f.hsm, 7, User.NORMAL);
      expect(await statusOf(() => f.hsm.isLoggedIn(7, { user: User.NORMAL }))).toBe('OK');
      expect(await statusOf(() => f.hsm.isLoggedIn(7, { user: User.WHEEL }))).toBe('FORBIDDEN');
      expect(await statusOf(() => f.hsm.isLoggedIn(8, { user: User.NORMAL }))).toBe('FORBIDDEN');
    });

    it('answers a wrong PIN with PIN_INCORRECT after the configured delay', async () => {
      f.reopen({ pinDelayMs: 150 });
      const t0 = Date.now();
      expect(await statusOf(() => login(f.hsm, 1, User.NORMAL, 'wrong-pin'))).toBe('PIN_INCORRECT');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
      expect(await statusOf(() => f.hsm.isLoggedIn(1, { user: User.NORMAL }))).toBe('FORBIDDEN');
    });

    it('refuses users outside 1..3 and PINs outside 4..4096 bytes with BAD_ARGUMENTS', async () => {
      expect(await statusOf(() => f.hsm.login(1, { user: 0, pin: Buffer.from(PIN) }))).toBe('BAD_ARGUMENTS');
      expect(await statusOf(() => f.hsm.login(1, { user: 4, pin: Buffer.from(PIN) }))).toBe('BAD_ARGUMENTS');
      expect(await statusOf(() => f.hsm.login(1, { user: 1, pin: Buffer.from('abc') }))).toBe(
        'BAD_ARGUMENTS',
      );
      expect(await statusOf(() => f.hsm.login(1, { user: 1, pin: Buffer.alloc(4097, 0x61) }))).toBe(
        'BAD_ARGUMENTS',
      );
      expect(await statusOf(() => f.hsm.isLoggedIn(1, { user: 9 }))).toBe('BAD_ARGUMENTS');
    });

    it('has 10 client slots: the 11th client gets NO_CLIENT_SLOTS_AVAILABLE, a re-login does not need a slot', async () => {
      for (let c = 1; c <= 10; c++) await login(f.hsm, c);
      expect(await statusOf(() => login(f.hsm, 11))).toBe('NO_CLIENT_SLOTS_AVAILABLE');
      await login(f.hsm, 10, User.WHEEL);
      f.hsm.logout(3);
      await login(f.hsm, 11);
      expect(await statusOf(() => f.hsm.isLoggedIn(11, { user: User.NORMAL }))).toBe('OK');
    });

    it('logs everyone out with LOGOUT_ALL', async () => {
      await login(f.hsm, 1);
      await login(f.hsm, 2, User.SO);
      f.hsm.logoutAll(0);
      expect(await statusOf(() => f.hsm.isLoggedIn(1, { user: User.NORMAL }))).toBe('FORBIDDEN');
      expect(await statusOf(() => f.hsm.isLoggedIn(2, { user: User.SO }))).toBe('FORBIDDEN');
    });

    it('lets WHEEL set any PIN and SO only the user PIN; others get FORBIDDEN', async () => {
      const set = (client: number, user: number, pin: string) =>
        statusOf(() => f.hsm.setPin(client, { user, pin: Buffer.from(pin) }));
      expect(await set(1, User.NORMAL, 'newpin1')).toBe('FORBIDDEN');
      await login(f.hsm, 1, User.NORMAL);
      expect(await set(1, User.NORMAL, 'newpin1')).toBe('FORBIDDEN');
      await login(f.hsm, 2, User.SO);
      expect(await set(2, User.SO, 'newpin2')).toBe('FORBIDDEN');
      expect(await set(2, User.NORMAL, 'userpin')).toBe('OK');
      await login(f.hsm, 3, User.WHEEL);
      expect(await set(3, User.SO, 'sopin22')).toBe('OK');
      expect(await set(3, User.WHEEL, 'abc')).toBe('BAD_ARGUMENTS');
      expect(await statusOf(() => login(f.hsm, 4, User.NORMAL, PIN))).toBe('PIN_INCORRECT');
      await login(f.hsm, 4, User.NORMAL, 'userpin');
      await login(f.hsm, 5, User.SO, 'sopin22');
    });

    it('keeps PINs set with SET_PIN across a restart', async () => {
      await login(f.hsm, 3, User.WHEEL);
      f.hsm.setPin(3, { user: User.NORMAL, pin: Buffer.from('persisted') });
      f.reopen();
      await login(f.hsm, 1, User.NORMAL, 'persisted');
      expect(await statusOf(() => login(f.hsm, 1, User.NORMAL, PIN))).toBe('PIN_INCORRECT');
    });

    it('does not let the SO use keys', async () => {
      await login(f.hsm, 1, User.SO);
      expect(await statusOf(() => f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS }))).toBe(
        'FORBIDDEN',
      );
    });
  });

  describe('given an HSM initialised without --pin', () => {
    beforeEach(async () => (f = await freshHsm({ pin: null })));

    it('accepts the factory wheel PIN and no SO or user PIN', async () => {
      await login(f.hsm, 1, User.WHEEL, HAL_FACTORY_WHEEL_PIN);
      expect(await statusOf(() => login(f.hsm, 2, User.SO, PIN))).toBe('PIN_INCORRECT');
      expect(await statusOf(() => login(f.hsm, 2, User.NORMAL, PIN))).toBe('PIN_INCORRECT');
    });
  });

  it('refuses a directory that was never initialised, naming it', async () => {
    expect(() => SoftHsm.open('/nonexistent/soft-hsm-state')).toThrow(/not a soft HSM state directory/);
  });
});
