/**
 * Options of the soft HSM engine. Randomness is an input (docs/style.md §3): tests pass a
 * seeded RNG and a near-zero wrong-PIN delay.
 */
import { randomBytes } from 'node:crypto';
import { SoftHsmStateError } from './errors';

/** `(n) => n random bytes`. */
export type RandomSource = (n: number) => Uint8Array;

export interface SoftHsmOptions {
  /** Token keys the keystore holds; past it key creation fails NO_KEY_SLOTS_AVAILABLE (23). Default 1000. */
  readonly capacity?: number;
  /** Serve EXPORT_RAW (32) / IMPORT_RAW (33); false answers RPC_BAD_FUNCTION like stock firmware. Default true. */
  readonly rawExport?: boolean;
  /** Delay before answering a wrong PIN, in ms (libhal: 5 s, §4.5). Default 5000. */
  readonly pinDelayMs?: number;
  /** Random bytes for keys, salts, UUIDs, KEKs, padding and GET_RANDOM. Default: the OS CSPRNG. */
  readonly rng?: RandomSource;
  /**
   * Precompute ECDSA nonces on a worker thread (as Cryptech's FPGA cores take point
   * multiplication off the ARM) instead of between requests on the event loop. Default false;
   * `keyledger soft-hsm serve` and the demo HSMs turn it on.
   */
  readonly ecdsaWorker?: boolean;
  /** Called with one short line (never secrets) when an operation fails unexpectedly. */
  readonly log?: (line: string) => void;
}

export interface ResolvedOptions {
  readonly capacity: number;
  readonly rawExport: boolean;
  readonly pinDelayMs: number;
  readonly rng: RandomSource;
  readonly ecdsaWorker: boolean;
  readonly log: (line: string) => void;
}

export const DEFAULT_CAPACITY = 1000;
export const DEFAULT_PIN_DELAY_MS = 5000;

const systemRandom: RandomSource = (n) => randomBytes(n);

function integerOption(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min)
    throw new SoftHsmStateError(
      'invalid-argument',
      `"${name}" expected an integer ≥ ${min}, got ${String(value)}`,
    );
  return value;
}

export function resolveOptions(options: SoftHsmOptions = {}): ResolvedOptions {
  return {
    capacity: integerOption('capacity', options.capacity, DEFAULT_CAPACITY, 1),
    rawExport: options.rawExport ?? true,
    pinDelayMs: integerOption('pinDelayMs', options.pinDelayMs, DEFAULT_PIN_DELAY_MS, 0),
    rng: options.rng ?? systemRandom,
    ecdsaWorker: options.ecdsaWorker ?? false,
    log: options.log ?? (() => undefined),
  };
}
