import { FrequencySketch, fnv1a } from './sketch';

describe('FNV-1a (32-bit)', () => {
  // Vectors from the FNV reference (draft-eastlake-fnv, test suite), ASCII strings.
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('hashes %j to its reference value', (text, expected) => {
    expect(fnv1a(text)).toBe(expected);
  });
});

describe('the frequency sketch', () => {
  it('counts a key’s requests and saturates at 15', () => {
    const sketch = new FrequencySketch(64);
    for (let i = 1; i <= 20; i++) {
      sketch.increment('key-1');
      expect(sketch.frequency('key-1')).toBe(Math.min(i, 15));
    }
    expect(sketch.frequency('key-2')).toBe(0);
  });

  it('keeps the keys of its capacity apart (count-min: never under, rarely over)', () => {
    const sketch = new FrequencySketch(1_000);
    for (let k = 0; k < 1_000; k++) for (let i = 0; i < k % 4; i++) sketch.increment(`key-${k}`);
    let over = 0;
    for (let k = 0; k < 1_000; k++) {
      const estimate = sketch.frequency(`key-${k}`);
      expect(estimate).toBeGreaterThanOrEqual(k % 4);
      if (estimate > k % 4) over++;
    }
    expect(over).toBeLessThan(20);
  });

  it('halves every counter after 10 × capacity increments', () => {
    const sketch = new FrequencySketch(1);
    for (let i = 0; i < 9; i++) sketch.increment('a');
    expect(sketch.frequency('a')).toBe(9);
    sketch.increment('a');
    expect(sketch.frequency('a')).toBe(5);
  });
});
