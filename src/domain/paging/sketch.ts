/**
 * TinyLFU's frequency sketch (Einziger, Friedman, Manes, "TinyLFU: A Highly Efficient Cache Admission
 * Policy", ACM ToS 2017, §3; Caffeine's `FrequencySketch`): a count-min sketch of 4-bit counters,
 * 4 rows, halved every `sampleSize` increments so that old popularity fades.
 */

/** Per-row seeds: the low halves of Caffeine's 64-bit sketch seeds. */
const SEEDS = [0x97cb3127, 0xbe98f273, 0x2f90404f, 0x84222325] as const;
const ROWS = SEEDS.length;
const MAX_COUNT = 15;
/** The low bit of each of the 8 nibbles of a word, and all bits but the top one of each. */
const ONE_MASK = 0x11111111;
const RESET_MASK = 0x77777777;

/** FNV-1a over the string's UTF-16 code units: deterministic across runs and platforms. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's 32-bit finaliser: spreads FNV-1a's weak low bits before they pick a counter. */
function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

export class FrequencySketch {
  /** Counters per row: a power of two, 4 × capacity or more (16 counters per key slot, as Caffeine). */
  private readonly width: number;
  /** 8 counters of 4 bits per word; row r, counter c is nibble r × width + c. */
  private readonly table: Uint32Array;
  private readonly sampleSize: number;
  /** Increments since the last halving (less the odd counts the halving dropped). */
  private additions = 0;

  /** `capacity` ≥ 1, the number of keys whose frequencies should stay apart. */
  constructor(readonly capacity: number) {
    let width = 16;
    while (width < 4 * capacity) width *= 2;
    this.width = width;
    this.table = new Uint32Array((ROWS * width) / 8);
    this.sampleSize = 10 * capacity;
  }

  /** The estimated number of recent requests for `keyId`, 0 … 15: the smallest of its 4 counters. */
  frequency(keyId: string): number {
    const h = fnv1a(keyId);
    let min = MAX_COUNT;
    for (let row = 0; row < ROWS; row++) min = Math.min(min, this.counter(this.slot(h, row)));
    return min;
  }

  increment(keyId: string): void {
    const h = fnv1a(keyId);
    let added = false;
    for (let row = 0; row < ROWS; row++) {
      const slot = this.slot(h, row);
      if (this.counter(slot) < MAX_COUNT) {
        this.table[slot >>> 3] += 1 << ((slot & 7) << 2);
        added = true;
      }
    }
    if (added && ++this.additions >= this.sampleSize) this.halve();
  }

  private slot(h: number, row: number): number {
    return row * this.width + (fmix32((h + SEEDS[row]) | 0) & (this.width - 1));
  }

  private counter(slot: number): number {
    return (this.table[slot >>> 3] >>> ((slot & 7) << 2)) & MAX_COUNT;
  }

  /** Ageing: every counter halves; a key's 4 counters each drop their odd bit, hence `odd / 4`. */
  private halve(): void {
    let odd = 0;
    for (let i = 0; i < this.table.length; i++) {
      odd += popcount(this.table[i] & ONE_MASK);
      this.table[i] = (this.table[i] >>> 1) & RESET_MASK;
    }
    this.additions = (this.additions - (odd >>> 2)) >>> 1;
  }
}
