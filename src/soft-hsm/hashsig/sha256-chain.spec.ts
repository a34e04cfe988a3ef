import { createHash, hash, randomBytes, randomInt } from 'node:crypto';
import { chainLoad, chainRun, chainSetPrefix, chainStore, chainWipe, newChainState } from './sha256-chain';

/** The RFC 8554 chain written plainly on node:crypto. */
function reference(
  I: Uint8Array,
  q: number,
  i: number,
  jStart: number,
  jEnd: number,
  tmp: Uint8Array,
): Buffer {
  let value = Buffer.from(tmp);
  for (let j = jStart; j < jEnd; j++) {
    const input = Buffer.alloc(55);
    input.set(I, 0);
    input.writeUInt32BE(q, 16);
    input.writeUInt16BE(i, 20);
    input[22] = j;
    input.set(value, 23);
    value = hash('sha256', input, 'buffer');
  }
  return value;
}

function run(I: Uint8Array, q: number, i: number, jStart: number, jEnd: number, tmp: Uint8Array): Buffer {
  const st = newChainState();
  chainSetPrefix(st, I, q);
  chainLoad(st, tmp, 0);
  chainRun(st, i, jStart, jEnd);
  const out = Buffer.alloc(32);
  chainStore(st, out, 0);
  return out;
}

describe('chainRun, the single-block SHA-256 of the LM-OTS chain', () => {
  it('equals node:crypto SHA-256 for one step on 2000 random (I, q, i, j, tmp)', () => {
    for (let k = 0; k < 2000; k++) {
      const I = randomBytes(16);
      const q = randomInt(2 ** 32 - 1) + (k % 2); // reaches 0xffffffff
      const i = randomInt(265);
      const j = randomInt(256);
      const tmp = randomBytes(32);
      expect(run(I, q, i, j, j + 1, tmp).toString('hex')).toBe(
        reference(I, q, i, j, j + 1, tmp).toString('hex'),
      );
    }
  });

  it('equals node:crypto for whole chains, including x_q[i] (j = 0xff) and empty ranges', () => {
    for (const [jStart, jEnd] of [
      [0, 255],
      [0xff, 0x100],
      [17, 17],
      [3, 15],
    ]) {
      const I = randomBytes(16);
      const tmp = randomBytes(32);
      expect(run(I, 7, 66, jStart, jEnd, tmp)).toEqual(reference(I, 7, 66, jStart, jEnd, tmp));
    }
  });

  it('hashes exactly the 55-byte input (a byte of I or tmp changes the result)', () => {
    const I = randomBytes(16);
    const tmp = randomBytes(32);
    const base = run(I, 1, 2, 3, 4, tmp);
    const I2 = Buffer.from(I);
    I2[15] ^= 1;
    const tmp2 = Buffer.from(tmp);
    tmp2[31] ^= 0x80;
    expect(run(I2, 1, 2, 3, 4, tmp)).not.toEqual(base);
    expect(run(I, 1, 2, 3, 4, tmp2)).not.toEqual(base);
    expect(base).toEqual(
      createHash('sha256')
        .update(Buffer.concat([I, Buffer.from('000000010002', 'hex'), Buffer.from([3]), tmp]))
        .digest(),
    );
  });

  it('wipes its scratch', () => {
    const st = newChainState();
    chainSetPrefix(st, randomBytes(16), 5);
    chainLoad(st, randomBytes(32), 0);
    chainWipe(st);
    expect([...st.P, ...st.S].every((v) => v === 0)).toBe(true);
  });
});
