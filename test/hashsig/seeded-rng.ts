import { createHash } from 'node:crypto';

/** Deterministic test RNG: SHA-256(label || counter) blocks. Never for keys outside tests. */
export function seededRng(label: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = createHash('sha256').update(label).update(String(counter++)).digest();
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}
