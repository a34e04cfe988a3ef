import { harmonic, mulberry32, zipfTrace } from './zipf';

function counts(trace: readonly string[]): Map<string, number> {
  const byKey = new Map<string, number>();
  for (const id of trace) byKey.set(id, (byKey.get(id) ?? 0) + 1);
  return byKey;
}

describe('a Zipf trace', () => {
  const options = { keys: 10_000, requests: 100_000, exponent: 1, seed: 11 };

  it('is the same for the same seed and differs for another', () => {
    const trace = zipfTrace(options);
    expect(zipfTrace(options)).toEqual(trace);
    expect(zipfTrace({ ...options, seed: 12 })).not.toEqual(trace);
    expect(trace).toHaveLength(100_000);
  });

  it('names only key-0 … key-(n-1)', () => {
    const names = new Set(zipfTrace({ ...options, keys: 50, requests: 5_000 }));
    expect([...names].every((id) => /^key-(\d|[1-4]\d)$/.test(id))).toBe(true);
    expect(names.size).toBe(50);
  });

  it('gives the most popular key a share close to 1 / H(n, s)', () => {
    const top = Math.max(...counts(zipfTrace(options)).values()) / options.requests;
    const expected = 1 / harmonic(10_000, 1); // 0.1022
    expect(top).toBeCloseTo(expected, 2);
    const skewed = { keys: 200, requests: 100_000, exponent: 0.8, seed: 3 };
    const topSkewed = Math.max(...counts(zipfTrace(skewed)).values()) / skewed.requests;
    expect(Math.abs(topSkewed - 1 / harmonic(200, 0.8))).toBeLessThan(0.005);
  });

  it('shuffles popularity so that rank is not key order', () => {
    const ranked = [...counts(zipfTrace(options)).entries()].sort((a, b) => b[1] - a[1]);
    const top10 = ranked.slice(0, 10).map(([id]) => id);
    expect(top10).not.toEqual(Array.from({ length: 10 }, (_, i) => `key-${i}`));
  });

  it('is uniform with exponent 0', () => {
    const byKey = counts(zipfTrace({ keys: 10, requests: 50_000, exponent: 0, seed: 5 }));
    for (const n of byKey.values()) expect(Math.abs(n - 5_000)).toBeLessThan(300);
  });

  it('refuses nonsense sizes and exponents, naming the field', () => {
    expect(() => zipfTrace({ ...options, keys: 0 })).toThrow('"keys" expected an integer in [1,');
    expect(() => zipfTrace({ ...options, requests: -1 })).toThrow('"requests" expected an integer in [0,');
    expect(() => zipfTrace({ ...options, exponent: -0.5 })).toThrow(
      '"exponent" expected a finite number ≥ 0',
    );
  });
});

describe('mulberry32', () => {
  it('repeats for a seed and stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    for (let i = 0; i < 1_000; i++) {
      const x = a();
      expect(b()).toBe(x);
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});
