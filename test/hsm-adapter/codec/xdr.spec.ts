/** XDR reader and writer (§2): bounded reads, typed overflows, padding rules, size guard. */
import fc from 'fast-check';
import { FrameTooLarge, HsmProtocolError, XdrOverflow } from '../../../src/hsm-adapter/errors';
import { XdrReader } from '../../../src/hsm-adapter/codec/xdr-reader';
import { XdrWriter } from '../../../src/hsm-adapter/codec/xdr-writer';
import { bytesOf } from './vectors';

const reader = (hex: string) => new XdrReader(bytesOf(hex));

/** Runs `f` and returns what it threw (the test fails if it did not throw). */
function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('XdrReader words', () => {
  it('reads big-endian u32 and i32', () => {
    const r = reader('01010100 ffffffff ffffffff 80000000');
    expect(r.u32('version')).toBe(0x01010100);
    expect(r.u32('max')).toBe(0xffffffff);
    expect(r.i32('minus one')).toBe(-1);
    expect(r.i32('min')).toBe(-0x80000000);
    expect(r.remaining).toBe(0);
  });

  it('checks the remaining bytes before a read and names the field', () => {
    const r = reader('00 00 01');
    const err = thrownBy(() => r.u32('PKEY_CLOSE request.pkey'));
    expect(err).toBeInstanceOf(XdrOverflow);
    expect(err).toMatchObject({
      field: 'PKEY_CLOSE request.pkey',
      needed: 4,
      available: 3,
      limit: 'frame',
      halStatus: 27,
    });
    expect(r.offset).toBe(0);
  });

  it('stays inside its [start, end) window of a larger buffer', () => {
    const buf = bytesOf('aaaaaaaa 00000001 bbbbbbbb');
    const r = new XdrReader(buf, 4, 8);
    expect(r.u32('inside')).toBe(1);
    expect(() => r.u32('beyond the window')).toThrow(XdrOverflow);
    expect(() => new XdrReader(buf, 8, 13)).toThrow(RangeError);
  });
});

describe('XdrReader variable opaque', () => {
  it('reads length, data and skips padding', () => {
    const r = reader('00000005 666e6f72 64000000 00000007');
    expect(r.opaque('pin').toString()).toBe('fnord');
    expect(r.u32('next')).toBe(7);
  });

  it('reads an empty opaque as zero bytes with no padding', () => {
    const r = reader('00000000 00000009');
    expect(r.opaque('key').length).toBe(0);
    expect(r.u32('next')).toBe(9);
  });

  it('skips padding without checking it, as the C server does', () => {
    expect(reader('00000001 41ffffff').opaque('x').toString('hex')).toBe('41');
  });

  it('accepts a final opaque whose padding is cut off at the end of the frame (C server leniency)', () => {
    for (const hex of ['00000005 666e6f72 64', '00000005 666e6f72 6400', '00000005 666e6f72 640000']) {
      const r = reader(hex);
      expect(r.opaque('pin').toString()).toBe('fnord');
      expect(r.remaining).toBe(0);
    }
  });

  it('does not let a cut-off padding hide a missing field after it', () => {
    const r = reader('00000001 41');
    r.opaque('value');
    expect(() => r.u32('flags')).toThrow(XdrOverflow);
  });

  it('refuses a declared length longer than the frame, before allocating', () => {
    for (const len of ['00000009', 'fffffff0', 'ffffffff']) {
      const err = thrownBy(() => reader(`${len} 01020304 05060708`).opaque('der'));
      expect(err).toBeInstanceOf(XdrOverflow);
      expect(err).toMatchObject({ field: 'der', needed: parseInt(len, 16), available: 8, limit: 'frame' });
    }
  });

  it('refuses a declared length over the per-field maximum', () => {
    const err = thrownBy(() => reader('00000008 01020304 05060708').opaque('signature', 4));
    expect(err).toMatchObject({ field: 'signature', needed: 8, available: 4, limit: 'field max' });
    expect((err as Error).message).toBe('"signature" declares 8 bytes, more than its maximum of 4');
  });

  it('returns a copy, not a view of the frame', () => {
    const frame = bytesOf('00000004 01020304');
    const value = new XdrReader(frame).opaque('v');
    frame.fill(0);
    expect(value.toString('hex')).toBe('01020304');
  });
});

describe('XdrReader UUIDs, NIL, fixed opaque, counts and end', () => {
  const name = '00112233 44556677 8899aabb ccddeeff';

  it('reads a UUID as opaque of length 16', () => {
    expect(reader(`00000010 ${name}`).uuid('name').toString('hex')).toBe(name.replace(/ /g, ''));
  });

  it('answers KEY_NAME_TOO_LONG for a name of another length, like the C server', () => {
    const err = thrownBy(() =>
      reader('0000000f 00112233 44556677 8899aabb ccddee00').uuid('PKEY_OPEN request.name'),
    );
    expect(err).toBeInstanceOf(HsmProtocolError);
    expect(err).not.toBeInstanceOf(XdrOverflow);
    expect(err).toMatchObject({ halStatus: 31 });
  });

  it('answers XDR_BUFFER_OVERFLOW for a truncated name', () => {
    expect(thrownBy(() => reader('00000010 00112233').uuid('name'))).toMatchObject({ halStatus: 27 });
  });

  it('reads the NIL marker as null and other lengths as values', () => {
    const r = reader('ffffffff 00000002 41420000');
    expect(r.opaqueOrNil('delete')).toBeNull();
    expect(r.opaqueOrNil('set')?.toString()).toBe('AB');
  });

  it('reads fixed-length opaque without a length word', () => {
    const r = reader('01020300 00000007');
    expect(r.fixedOpaque('I', 3).toString('hex')).toBe('010203');
    expect(r.u32('next')).toBe(7);
  });

  it('refuses a count the frame cannot hold, before reading elements', () => {
    const err = thrownBy(() => reader('fffffff0 00000001').count('attributes', 8));
    expect(err).toMatchObject({ field: 'attributes', needed: 0xfffffff0 * 8, available: 4 });
    expect(reader('00000002 00000001 00000002').count('types', 4)).toBe(2);
  });

  it('end() refuses trailing bytes and accepts an exhausted frame', () => {
    const r = reader('00000001 00000002');
    r.u32('a');
    expect(() => r.end('GET_VERSION response')).toThrow(HsmProtocolError);
    r.u32('b');
    expect(() => r.end('GET_VERSION response')).not.toThrow();
  });
});

describe('XdrWriter', () => {
  it('writes words, opaques with zero padding, UUIDs and NIL', () => {
    const out = new XdrWriter()
      .u32('func', 3)
      .i32('minus one', -1)
      .opaque('pin', Buffer.from('fnord'))
      .uuid('name', bytesOf('00112233445566778899aabbccddeeff'))
      .opaqueOrNil('delete', null)
      .fixedOpaque('I', Uint8Array.of(9))
      .finish();
    expect(out.toString('hex')).toBe(
      bytesOf(
        '00000003 ffffffff 00000005 666e6f72 64000000 00000010 00112233 44556677 8899aabb ccddeeff ffffffff 09000000',
      ).toString('hex'),
    );
  });

  it('refuses values that are not u32 and names the field', () => {
    for (const v of [-1, 0x100000000, 1.5, NaN])
      expect(() => new XdrWriter().u32('flags', v)).toThrow(
        `"flags" expected a u32 (integer 0..4294967295), got ${v}`,
      );
    expect(() => new XdrWriter().i32('x', 0x80000000)).toThrow(RangeError);
  });

  it('refuses a name that is not 16 bytes', () => {
    expect(() => new XdrWriter().uuid('name', new Uint8Array(15))).toThrow(
      '"name" expected a 16-byte UUID, got 15',
    );
  });

  it('grows to hold large values', () => {
    const big = Buffer.alloc(10000, 7);
    const out = new XdrWriter(16384, 4).u32('a', 1).opaque('big', big).u32('b', 2).finish();
    expect(out.length).toBe(4 + 4 + 10000 + 4);
    expect(out.readUInt32BE(4)).toBe(10000);
    expect(out.subarray(8, 10008).equals(big)).toBe(true);
    expect(out.readUInt32BE(10008)).toBe(2);
  });

  it('fills exactly up to its maximum size and refuses one byte more', () => {
    const w = new XdrWriter(16);
    w.u32('a', 1).u32('b', 2).u32('c', 3).u32('d', 4);
    expect(w.length).toBe(16);
    const err = thrownBy(() => w.u32('e', 5));
    expect(err).toBeInstanceOf(FrameTooLarge);
    expect(err).toMatchObject({ size: 20, limit: 16, halStatus: 29 });
  });

  it('round-trips any sequence of values through the reader', () => {
    type Op = { kind: 'u32'; v: number } | { kind: 'opaque'; v: Uint8Array } | { kind: 'nil' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('u32' as const), v: fc.nat({ max: 0xffffffff }) }),
      fc.record({ kind: fc.constant('opaque' as const), v: fc.uint8Array({ maxLength: 40 }) }),
      fc.record({ kind: fc.constant('nil' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const w = new XdrWriter();
        for (const o of ops)
          if (o.kind === 'u32') w.u32('v', o.v);
          else if (o.kind === 'opaque') w.opaque('v', o.v);
          else w.opaqueOrNil('v', null);
        const out = w.finish();
        expect(out.length % 4).toBe(0);
        const r = new XdrReader(out);
        for (const o of ops)
          if (o.kind === 'u32') expect(r.u32('v')).toBe(o.v);
          else if (o.kind === 'opaque') expect(r.opaqueOrNil('v')?.equals(o.v)).toBe(true);
          else expect(r.opaqueOrNil('v')).toBeNull();
        r.end('ops');
      }),
    );
  });
});
