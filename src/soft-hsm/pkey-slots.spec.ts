import { HashSlots, MAX_HMAC_HANDLES } from './hash-slots';
import { DIGESTS } from './crypto/digest';
import { MAX_PKEY_HANDLES, PKEY_HANDLE_TOKEN_FLAG, PkeySlots } from './pkey-slots';

const key = { name: Buffer.alloc(16), client: 1, session: 0, type: 3, curve: 1, flags: 9 };

describe('PkeySlots', () => {
  it('builds handles as slot | counter << 16 | token bit, never reusing a freed handle at once', () => {
    const slots = new PkeySlots();
    const a = slots.allocate(key, true, 'T');
    expect(a.handle).toBe((0 | (1 << 16) | PKEY_HANDLE_TOKEN_FLAG) >>> 0);
    const b = slots.allocate(key, false, 'T');
    expect(b.handle).toBe(1 | (2 << 16));
    slots.free(a);
    const c = slots.allocate(key, false, 'T');
    expect(c.handle).toBe(0 | (3 << 16));
    expect(() => slots.find(a.handle, 'T')).toThrow(expect.objectContaining({ status: 'KEY_NOT_FOUND' }));
    expect(slots.find(c.handle, 'T')).toBe(c);
    expect(() => slots.find(0, 'T')).toThrow(expect.objectContaining({ status: 'KEY_NOT_FOUND' }));
  });

  it('holds 256 handles', () => {
    const slots = new PkeySlots();
    for (let i = 0; i < MAX_PKEY_HANDLES; i++) slots.allocate(key, false, 'T');
    expect(() => slots.allocate(key, false, 'T')).toThrow(
      expect.objectContaining({ status: 'NO_KEY_SLOTS_AVAILABLE' }),
    );
  });
});

describe('HashSlots', () => {
  it('sets bit 31 on HMAC handles and holds 16 of them', () => {
    const slots = new HashSlots();
    const sha1 = DIGESTS[0];
    const handles = Array.from({ length: MAX_HMAC_HANDLES }, () => slots.open(sha1, Buffer.from('k'), 'T'));
    expect(handles.every((h) => h >>> 31 === 1)).toBe(true);
    expect(() => slots.open(sha1, Buffer.from('k'), 'T')).toThrow(
      expect.objectContaining({ status: 'ALLOCATION_FAILURE' }),
    );
    expect(slots.open(sha1, Buffer.alloc(0), 'T') >>> 31).toBe(0);
  });

  it('pads a digest with zeros up to a longer requested length', () => {
    const slots = new HashSlots();
    const h = slots.open(DIGESTS[0], Buffer.alloc(0), 'T');
    const out = slots.finalize(h, 24, 'T');
    expect(out.subarray(0, 20).toString('hex')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(out.subarray(20)).toEqual(Buffer.alloc(4));
  });
});
