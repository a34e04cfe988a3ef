/** SLIP framing (§1.1): exact bytes, any chunking, bounded memory, only typed errors. */
import fc from 'fast-check';
import { FrameTooLarge } from '../../../src/hsm-adapter/errors';
import { slipEncode, SlipDecoder } from '../../../src/hsm-adapter/codec/slip';
import { bytesOf, cases } from './vectors';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Feeds `stream` to a fresh decoder in the given chunks and returns every frame. */
function decodeChunks(chunks: Uint8Array[], maxFrameSize?: number): Buffer[] {
  const d = new SlipDecoder({ maxFrameSize });
  return chunks.flatMap((c) => d.push(c));
}

function splitAt(stream: Buffer, cuts: number[]): Buffer[] {
  const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), stream.length];
  return points.slice(1).map((end, i) => stream.subarray(points[i], end));
}

// Every vector payload, plus payloads made only of the bytes SLIP must escape.
const payloads = [
  ...cases.flatMap((c) => [bytesOf(c.request), bytesOf(c.response)]),
  Buffer.from([0xc0]),
  Buffer.from([0xdb]),
  Buffer.from([0xdb, 0xdc, 0xc0, 0xdd, 0xdb]),
];
const stream = Buffer.concat(payloads.map(slipEncode));

describe('slipEncode', () => {
  it('writes END, the escaped payload, END', () => {
    expect(hex(slipEncode(Buffer.from([0x01, 0xc0, 0x02, 0xdb, 0x03])))).toBe('c001dbdc02dbdd03c0');
  });

  it('leaves DC and DD alone when not preceded by an escape', () => {
    expect(hex(slipEncode(Buffer.from([0xdc, 0xdd])))).toBe('c0dcddc0');
  });

  it('frames the reference GET_VERSION request as C0 00000000 00000000 C0 (§1.1)', () => {
    expect(hex(slipEncode(Buffer.alloc(8)))).toBe('c00000000000000000c0');
  });

  it('frames an empty payload as two ENDs', () => {
    expect(hex(slipEncode(Buffer.alloc(0)))).toBe('c0c0');
  });
});

describe('SlipDecoder chunking', () => {
  const expected = payloads.map(hex);

  it('decodes the whole stream in one chunk', () => {
    expect(decodeChunks([stream]).map(hex)).toEqual(expected);
  });

  it('decodes the stream split at every offset', () => {
    const joined = expected.join();
    const failedAt: number[] = [];
    for (let i = 0; i <= stream.length; i++)
      if (
        decodeChunks(splitAt(stream, [i]))
          .map(hex)
          .join() !== joined
      )
        failedAt.push(i);
    expect(failedAt).toEqual([]);
  });

  it('decodes the stream byte by byte', () => {
    const bytes = [...stream].map((b) => Uint8Array.of(b));
    expect(decodeChunks(bytes).map(hex)).toEqual(expected);
  });

  it('decodes the stream under random chunkings', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: stream.length }), { maxLength: 40 }), (cuts) => {
        expect(decodeChunks(splitAt(stream, cuts)).map(hex)).toEqual(expected);
      }),
    );
  });

  it('round-trips any non-empty payload under any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (frames, rawCuts) => {
          const s = Buffer.concat(frames.map(slipEncode));
          const out = decodeChunks(
            splitAt(
              s,
              rawCuts.map((c) => c % (s.length + 1)),
            ),
          );
          expect(out.map(hex)).toEqual(frames.map(hex));
        },
      ),
    );
  });
});

describe('SlipDecoder edge cases', () => {
  it('skips empty frames (leading END, runs of END)', () => {
    expect(decodeChunks([bytesOf('c0 c0 c0 41 c0 c0')]).map(hex)).toEqual(['41']);
    expect(decodeChunks([bytesOf('c0 c0 c0')])).toEqual([]);
  });

  it('keeps the byte after ESC when it is neither DC nor DD, like the C decoder', () => {
    expect(decodeChunks([bytesOf('c0 db 41 db dc db dd c0')]).map(hex)).toEqual(['41c0db']);
  });

  it('treats ESC ESC DC as one escaped END (the second ESC re-arms the escape)', () => {
    expect(decodeChunks([bytesOf('c0 db db dc c0')]).map(hex)).toEqual(['c0']);
  });

  it('keeps an escape pending across chunks', () => {
    expect(decodeChunks([bytesOf('c0 01 db'), bytesOf('dc 02 c0')]).map(hex)).toEqual(['01c002']);
  });

  it('clears a dangling ESC at END instead of carrying it into the next frame', () => {
    expect(decodeChunks([bytesOf('c0 01 db c0 dc c0')]).map(hex)).toEqual(['01', 'dc']);
  });

  it('holds an unterminated frame until its END arrives', () => {
    const d = new SlipDecoder();
    expect(d.push(bytesOf('c0 01 02 03'))).toEqual([]);
    expect(d.pending).toBe(3);
    expect(d.push(bytesOf('c0')).map(hex)).toEqual(['010203']);
    expect(d.pending).toBe(0);
  });

  it('returns frames that do not share the scratch buffer', () => {
    const d = new SlipDecoder();
    const [first] = d.push(bytesOf('c0 11 22 c0'));
    d.push(bytesOf('c0 33 44 c0'));
    expect(hex(first)).toBe('1122');
  });
});

describe('SlipDecoder frame size limit (§1.5)', () => {
  it('accepts a frame of exactly 16384 decoded bytes, even when escaping doubles it on the wire', () => {
    const payload = Buffer.alloc(16384, 0xc0);
    const [frame] = decodeChunks([slipEncode(payload)]);
    expect(frame.length).toBe(16384);
    expect(frame.equals(payload)).toBe(true);
  });

  it('rejects a frame of 16385 decoded bytes with FrameTooLarge, before its END arrives', () => {
    const d = new SlipDecoder();
    expect(d.push(Buffer.concat([bytesOf('c0'), Buffer.alloc(16384, 1)]))).toEqual([]);
    expect(() => d.push(Uint8Array.of(1))).toThrow(FrameTooLarge);
  });

  it('stays poisoned after FrameTooLarge: the stream cannot be trusted again', () => {
    const d = new SlipDecoder({ maxFrameSize: 4 });
    expect(() => d.push(bytesOf('c0 01 02 03 04 05 c0'))).toThrow(FrameTooLarge);
    expect(() => d.push(bytesOf('c0 01 c0'))).toThrow(FrameTooLarge);
  });

  it('throws within the first chunk of an endless frame and keeps nothing of it', () => {
    const d = new SlipDecoder();
    const junk = Buffer.alloc(1 << 20, 0x55);
    let pushes = 0;
    let thrown: unknown;
    try {
      for (; pushes < 64; pushes++) d.push(junk);
    } catch (e) {
      thrown = e;
    }
    expect(pushes).toBe(0);
    expect(thrown).toBeInstanceOf(FrameTooLarge);
    expect(d.pending).toBe(0);
    expect((thrown as FrameTooLarge).limit).toBe(16384);
  });

  it('counts decoded bytes, not wire bytes, against the limit', () => {
    expect(decodeChunks([bytesOf('c0 db dc db dc c0')], 2).map(hex)).toEqual(['c0c0']);
    expect(() => decodeChunks([bytesOf('c0 db dc db dc db dc c0')], 2)).toThrow(FrameTooLarge);
  });

  it('on random input either returns frames within the limit or throws FrameTooLarge, with bounded pending bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 32 }),
        (chunks, max) => {
          const d = new SlipDecoder({ maxFrameSize: max });
          try {
            for (const c of chunks) {
              for (const f of d.push(c)) expect(f.length).toBeLessThanOrEqual(max);
              expect(d.pending).toBeLessThanOrEqual(max);
            }
          } catch (e) {
            expect(e).toBeInstanceOf(FrameTooLarge);
          }
        },
      ),
    );
  });

  it('refuses a non-positive limit', () => {
    expect(() => new SlipDecoder({ maxFrameSize: 0 })).toThrow(RangeError);
  });
});
