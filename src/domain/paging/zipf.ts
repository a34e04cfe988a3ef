/**
 * Synthetic request traces for the paging policy's tests and benchmark: keys `key-0` … `key-(n-1)`,
 * requested with Zipf(s) popularity (the key of rank r has weight 1 / r^s), repeatable from a seed.
 */
import { aInt } from '../assert';
import { InvalidCommand } from '../errors';

export interface ZipfTraceOptions {
  /** Distinct keys n ≥ 1. */
  readonly keys: number;
  /** Length of the trace. */
  readonly requests: number;
  /** Skew s ≥ 0 (0 is uniform). */
  readonly exponent: number;
  /** Any 32-bit integer; the same seed gives the same trace. */
  readonly seed: number;
}

/** mulberry32 (Tommy Ettinger): a 32-bit-state PRNG, ample for traces; floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The generalised harmonic number H(n, s) = Σ_{r=1..n} 1 / r^s: rank 1's share is 1 / H(n, s). */
export function harmonic(n: number, s: number): number {
  let sum = 0;
  for (let r = n; r >= 1; r--) sum += 1 / r ** s;
  return sum;
}

export function zipfTrace({ keys, requests, exponent, seed }: ZipfTraceOptions): string[] {
  aInt('keys', keys, 1);
  aInt('requests', requests, 0);
  aInt('seed', seed, -(2 ** 31), 2 ** 32 - 1);
  if (!Number.isFinite(exponent) || exponent < 0) {
    throw new InvalidCommand(`"exponent" expected a finite number ≥ 0, got ${exponent}`);
  }
  const random = mulberry32(seed);

  // Popularity rank → key: a seeded Fisher–Yates shuffle, so that rank is not key order.
  const byRank = Array.from({ length: keys }, (_, i) => `key-${i}`);
  for (let i = keys - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [byRank[i], byRank[j]] = [byRank[j], byRank[i]];
  }

  // Inverse CDF: cumulative[r] is the share of ranks 0 … r; a draw u picks the first r with u < cumulative[r].
  const cumulative = new Float64Array(keys);
  let total = 0;
  for (let r = 0; r < keys; r++) cumulative[r] = total += 1 / (r + 1) ** exponent;
  for (let r = 0; r < keys; r++) cumulative[r] /= total;
  cumulative[keys - 1] = 1;

  const trace = new Array<string>(requests);
  for (let i = 0; i < requests; i++) {
    const u = random();
    let low = 0;
    let high = keys - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (u < cumulative[mid]) high = mid;
      else low = mid + 1;
    }
    trace[i] = byRank[low];
  }
  return trace;
}
