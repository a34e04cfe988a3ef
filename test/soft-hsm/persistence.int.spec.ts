/**
 * The keystore on disk: persistence across restarts, every record wrapped under the master KEK
 * (docs/libhal-rpc.md §6.2), capacity, corrupt files, the lock, zeroize and re-entering the KEK (§9.2).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { unwrapKey } from '../../src/soft-hsm/crypto/keywrap';
import { parseEcPrivateKeyInfo } from '../../src/lib/pkcs8';
import { enterMasterKek, SoftHsm, zeroizeSoftHsm } from '../../src/soft-hsm';
import {
  DS,
  EXPORTABLE,
  KEK_A,
  KEK_B,
  TOKEN,
  freshHsm,
  login,
  seededRng,
  statusOf,
  type Fresh,
} from './support';

const keyFiles = (dir: string) => fs.readdirSync(path.join(dir, 'keys')).sort();

describe('soft HSM keystore on disk', () => {
  let f: Fresh;
  beforeEach(async () => {
    f = await freshHsm();
    await login(f.hsm, 1);
  });
  afterEach(() => f.cleanup());

  it('keeps token keys across a restart and forgets volatile ones', async () => {
    const token = f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | TOKEN });
    const vol = f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS });
    const spki = f.hsm.pkeyGetPublicKey(1, { pkey: token.pkey, derMax: 200 }).der;
    f.reopen();
    await login(f.hsm, 1);
    const again = f.hsm.pkeyOpen(1, { session: 0, name: token.name }).pkey;
    expect(f.hsm.pkeyGetPublicKey(1, { pkey: again, derMax: 200 }).der.equals(spki)).toBe(true);
    expect(f.hsm.pkeyGetKeyFlags(1, { pkey: again }).flags).toBe(DS | TOKEN);
    expect(await statusOf(() => f.hsm.pkeyOpen(1, { session: 0, name: vol.name }))).toBe('KEY_NOT_FOUND');
  });

  it('stores each token key as one record whose DER is RFC 5649-wrapped under the master KEK', () => {
    const { pkey, name } = f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | TOKEN });
    const id = name.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
    expect(keyFiles(f.dir)).toEqual([`${id}.json`]);
    const record = JSON.parse(fs.readFileSync(path.join(f.dir, 'keys', `${id}.json`), 'utf8')).body;
    expect(record).toMatchObject({ name: id, type: 3, curve: 1, flags: DS | TOKEN });
    const wrapped = Buffer.from(record.der, 'base64');
    const pkcs8 = unwrapKey(KEK_A, wrapped);
    expect(wrapped.length).toBe(Math.ceil(pkcs8.length / 8) * 8 + 8);
    const spki = f.hsm.pkeyGetPublicKey(1, { pkey, derMax: 200 }).der;
    expect(spki.subarray(-65).equals(Buffer.from(parseEcPrivateKeyInfo(pkcs8).point))).toBe(true);
  });

  it('holds at most --capacity token keys: NO_KEY_SLOTS_AVAILABLE past it, room again after a delete', async () => {
    f.reopen({ capacity: 2 });
    await login(f.hsm, 1);
    const a = f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | TOKEN });
    f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | TOKEN });
    expect(await statusOf(() => f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | TOKEN }))).toBe(
      'NO_KEY_SLOTS_AVAILABLE',
    );
    expect(
      await statusOf(() =>
        f.hsm.pkeyGenerateHashsig(1, {
          session: 0,
          hssLevels: 1,
          lmsType: 5,
          lmotsType: 4,
          flags: DS | TOKEN,
        }),
      ),
    ).toBe('NO_KEY_SLOTS_AVAILABLE');
    expect(keyFiles(f.dir)).toHaveLength(2);
    expect(await statusOf(() => f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS }))).toBe('OK');
    f.hsm.pkeyDelete(1, { pkey: a.pkey });
    expect(await statusOf(() => f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | TOKEN }))).toBe(
      'OK',
    );
  });

  it('refuses to open with a corrupt record, naming the file', () => {
    const { name } = f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | TOKEN });
    f.hsm.close();
    const file = path.join(f.dir, 'keys', keyFiles(f.dir)[0]);
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('"flags":9', '"flags":41'));
    expect(() => SoftHsm.open(f.dir)).toThrow(`soft HSM state file ${file} is corrupt: checksum mismatch`);
    fs.writeFileSync(file, text.slice(0, 40));
    expect(() => SoftHsm.open(f.dir)).toThrow(`soft HSM state file ${file} is corrupt: not valid JSON`);
    fs.writeFileSync(file, text);
    fs.writeFileSync(path.join(f.dir, 'keys', 'notes.txt'), 'hello');
    expect(() => SoftHsm.open(f.dir)).toThrow(/notes\.txt is corrupt: unexpected file/);
    fs.rmSync(path.join(f.dir, 'keys', 'notes.txt'));
    fs.writeFileSync(path.join(f.dir, 'mkm.bin'), Buffer.alloc(5));
    expect(() => SoftHsm.open(f.dir)).toThrow(/mkm\.bin is corrupt: expected 36 bytes, got 5/);
    expect(name).toHaveLength(16);
  });

  it('removes temporaries a crash left behind, and takes over the lock of a dead process', () => {
    f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | TOKEN });
    f.hsm.close();
    fs.writeFileSync(path.join(f.dir, 'keys', '.tmp-999-1-half-written.json'), '{"sha');
    fs.writeFileSync(path.join(f.dir, 'lock'), '2147483646\n');
    f.hsm = SoftHsm.open(f.dir, { pinDelayMs: 0 });
    expect(keyFiles(f.dir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    expect(keyFiles(f.dir)).toHaveLength(1);
    expect(fs.readFileSync(path.join(f.dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('lets one instance at a time have the directory', () => {
    expect(() => SoftHsm.open(f.dir)).toThrow(/already open in this process/);
    expect(() => zeroizeSoftHsm(f.dir)).toThrow(/already open in this process/);
  });

  describe('zeroize and re-entering the master KEK', () => {
    it('destroys the KEK and every key, keeps PINs, and a raw blob imports again after "kek set"', async () => {
      const key = f.hsm.pkeyGenerateEc(1, { session: 0, curve: 3, flags: DS | TOKEN | EXPORTABLE });
      const spki = f.hsm.pkeyGetPublicKey(1, { pkey: key.pkey, derMax: 300 }).der;
      const { blob } = f.hsm.exportRaw(1, { pkey: key.pkey, derMax: 5480 });
      f.hsm.close();

      zeroizeSoftHsm(f.dir);
      expect(keyFiles(f.dir)).toEqual([]);
      expect(
        fs
          .readFileSync(path.join(f.dir, 'mkm.bin'))
          .equals(Buffer.concat([Buffer.from('ffffffff', 'hex'), Buffer.alloc(32)])),
      ).toBe(true);
      f.hsm = SoftHsm.open(f.dir, { pinDelayMs: 0 });
      await login(f.hsm, 1); // PINs kept
      expect(await statusOf(() => f.hsm.importRaw(1, { session: 0, blob, flags: DS | TOKEN }))).toBe(
        'MASTERKEY_NOT_SET',
      );
      expect(await statusOf(() => f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | TOKEN }))).toBe(
        'MASTERKEY_NOT_SET',
      );
      f.hsm.close();

      expect(() => enterMasterKek(f.dir, KEK_B)).not.toThrow();
      expect(() => enterMasterKek(f.dir, KEK_A)).toThrow(/already set; zeroize the HSM first/);
      zeroizeSoftHsm(f.dir);
      enterMasterKek(f.dir, KEK_A);
      f.hsm = SoftHsm.open(f.dir, { pinDelayMs: 0 });
      await login(f.hsm, 1);
      const back = f.hsm.importRaw(1, { session: 0, blob, flags: DS | TOKEN });
      expect(f.hsm.pkeyGetPublicKey(1, { pkey: back.pkey, derMax: 300 }).der.equals(spki)).toBe(true);
    });

    it('refuses a blob from another KEK domain with a KEYWRAP error and changes nothing', async () => {
      const other = await freshHsm({ kek: KEK_B, seed: 'other' });
      try {
        await login(other.hsm, 1);
        const key = other.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | TOKEN | EXPORTABLE });
        const { blob } = other.hsm.exportRaw(1, { pkey: key.pkey, derMax: 5480 });
        const before = keyFiles(f.dir);
        expect(await statusOf(() => f.hsm.importRaw(1, { session: 0, blob, flags: DS | TOKEN }))).toBe(
          'KEYWRAP_BAD_MAGIC',
        );
        expect(
          await statusOf(() =>
            f.hsm.importRaw(1, { session: 0, blob: blob.subarray(0, 20), flags: DS | TOKEN }),
          ),
        ).toBe('KEYWRAP_BAD_LENGTH');
        expect(keyFiles(f.dir)).toEqual(before);
        expect(f.hsm.tokenKeys.count).toBe(0);
      } finally {
        await other.cleanup();
      }
    });

    it('finishes a zeroize that a crash interrupted', () => {
      f.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | TOKEN });
      f.hsm.close();
      fs.writeFileSync(path.join(f.dir, 'zeroize.pending'), 'zeroize in progress\n');
      f.hsm = SoftHsm.open(f.dir, { pinDelayMs: 0, rng: seededRng('z') });
      expect(keyFiles(f.dir)).toEqual([]);
      expect(fs.existsSync(path.join(f.dir, 'zeroize.pending'))).toBe(false);
      expect(f.hsm.tokenKeys.count).toBe(0);
    });
  });
});
