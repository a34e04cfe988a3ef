import fc from 'fast-check';
import { slipEncode } from '../../hsm-adapter/codec';
import { MuxdFramer } from './muxd-framer';

describe('MuxdFramer', () => {
  it('yields SLIP frames of 8+ payload bytes and drops chunks under 9 bytes, like muxd', () => {
    const framer = new MuxdFramer();
    const req = Buffer.from('0000000000000000', 'hex');
    const out = framer.push(
      Buffer.concat([Buffer.from([0xc0, 0x15, 0xc0]), Buffer.from([1, 2, 3, 0xc0]), slipEncode(req)]),
    );
    expect(out).toEqual([req]);
  });

  it('measures chunks in encoded bytes: escaped short payloads reach the dispatcher', () => {
    const framer = new MuxdFramer();
    expect(framer.push(Buffer.from([0xdb, 0xdc, 0xdb, 0xdc, 0xdb, 0xdc, 0xdb, 0xdc, 0xc0]))).toEqual([
      Buffer.from([0xc0, 0xc0, 0xc0, 0xc0]),
    ]);
  });

  it('gives the same frames however the stream is split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 8, maxLength: 64 }), { maxLength: 5 }),
        fc.integer({ min: 1, max: 17 }),
        (payloads, step) => {
          const stream = Buffer.concat(payloads.map((p) => slipEncode(p)));
          const framer = new MuxdFramer();
          const frames: Buffer[] = [];
          for (let i = 0; i < stream.length; i += step)
            frames.push(...framer.push(stream.subarray(i, i + step)));
          expect(frames).toEqual(payloads.map((p) => Buffer.from(p)));
        },
      ),
    );
  });

  it('refuses a frame over the maximum and stays poisoned', () => {
    const framer = new MuxdFramer(16);
    const tooLarge = expect.objectContaining({ kind: 'protocol', limit: 16 });
    expect(() => framer.push(Buffer.alloc(17, 1))).toThrow(tooLarge);
    expect(() => framer.push(slipEncode(Buffer.alloc(8)))).toThrow(tooLarge);
  });
});
