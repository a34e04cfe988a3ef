/**
 * The HSM adapter's closed error taxonomy (docs/style.md §8).
 *
 * - `HalStatusError`: the HSM answered with a non-zero `hal_error_t` (§4.1). One class per status,
 *   built by `halError(code, rpc)` from the one table of statuses below; codes above 50 give
 *   `HsmUnknownStatus`.
 * - `HsmProtocolError`: bytes that break the protocol (malformed frame, truncated XDR, oversized
 *   frame). The connection owner must drop the connection. `halStatus` is what a server answers.
 * - `HsmTransportError`: I/O failed (socket closed, timeout).
 *
 * Every class has string discriminants (`kind`, `type`, and `status` for HSM statuses), so callers
 * need not dispatch on class identity. All are HSM failures to the API (src/domain/error-category.ts).
 */
import type { ErrorCategory, ProblemExtras } from '../domain/error-category';

export abstract class HsmError extends Error implements ProblemExtras {
  // Whatever went wrong, the HSM did not do what was asked: the API answers 502.
  static readonly category: ErrorCategory = 'hsm-failure';
  abstract readonly kind: 'status' | 'protocol' | 'transport';
  /** The problem type the API answers with, e.g. 'hsm-transport-error'. */
  abstract readonly type: string;
  /** The RPC that failed (e.g. 'IMPORT_RAW'), when known. */
  readonly rpc: string | undefined;

  constructor(message: string, rpc: string | undefined, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.rpc = rpc;
  }

  /** A transport or protocol message alone does not say that it is about the HSM. */
  get problemDetail(): string {
    return `the HSM could not be reached or answered badly: ${this.message}`;
  }

  get problemExtensions(): Readonly<Record<string, unknown>> {
    return { rpc: this.rpc };
  }
}

/** What a person can do about a status; some depend on the RPC that failed. */
type Advice = string | ((rpc: string | undefined) => string);

const keywrap = (what: string) => (rpc: string | undefined) => {
  if (rpc === 'IMPORT_RAW')
    return `the blob does not unwrap under this HSM's master KEK (wrong KEK domain or damaged blob): ${what}`;
  if (rpc === 'PKEY_IMPORT')
    return `the pkcs8 blob does not unwrap under the transported KEK (kek blob made for another KEKEK, or damaged blobs): ${what}`;
  return `a stored key does not unwrap under the HSM's master KEK (master KEK changed or keystore damaged): ${what}`;
};

/**
 * The libhal statuses, written out once (§4.1): code, `hal_error_t` name without the `HAL_ERROR_`
 * prefix, and what a person can do about it (§3.3, §4, §5, §7, §9). Names, codes, the lookup by
 * code and the classes are all derived from it.
 */
const STATUSES = [
  [
    1,
    'BAD_ARGUMENTS',
    'the HSM rejected the arguments (e.g. flag bits outside 0x3f, RSA bits not a multiple of 8, curve or user out of range, PIN not 4..4096 bytes, or not exactly one of hash handle and input)',
  ],
  [
    2,
    'UNSUPPORTED_KEY',
    'the HSM does not support this key type or parameter set (e.g. LM-OTS W1, a hashsig signature over 16384 bytes, or a non-RSA KEKEK)',
  ],
  [3, 'IO_SETUP_FAILED', 'the HSM could not set up I/O to its crypto cores; power-cycle the HSM'],
  [4, 'IO_TIMEOUT', 'an HSM crypto core timed out; retry, and power-cycle the HSM if it persists'],
  [
    5,
    'IO_UNEXPECTED',
    'an HSM crypto core returned unexpected data; retry, and check the FPGA bitstream if it persists',
  ],
  [6, 'IO_OS_ERROR', "the HSM's I/O layer reported an operating-system error; check the HSM console"],
  [7, 'IO_BAD_COUNT', 'an HSM crypto core transfer had the wrong byte count; check the FPGA bitstream'],
  [
    8,
    'CSPRNG_BROKEN',
    "the HSM's random number generator failed; stop using this HSM until its TRNG is checked",
  ],
  [9, 'KEYWRAP_BAD_MAGIC', keywrap('integrity check value mismatch')],
  [10, 'KEYWRAP_BAD_LENGTH', keywrap('wrapped length invalid')],
  [11, 'KEYWRAP_BAD_PADDING', keywrap('padding invalid')],
  [
    12,
    'IMPOSSIBLE',
    'the HSM reached a state its firmware considers impossible; report the call and its arguments',
  ],
  [
    13,
    'ALLOCATION_FAILURE',
    'the HSM ran out of memory; close unused key and hash handles, or restart the HSM',
  ],
  [
    14,
    'RESULT_TOO_LONG',
    'the result does not fit the requested maximum (e.g. pkcs8_max below 5480, kek_max below the KEKEK modulus size, attribute values over buffer_len); ask for more',
  ],
  [
    15,
    'ASN1_PARSE_FAILED',
    'the HSM could not parse the DER it was given (private key, SPKI or EncryptedPrivateKeyInfo)',
  ],
  [16, 'KEY_NOT_ON_CURVE', 'the EC public point is not on the named curve'],
  [17, 'INVALID_SIGNATURE', 'the signature does not verify under this key'],
  [18, 'CORE_NOT_FOUND', "the HSM's FPGA bitstream lacks the crypto core this operation needs"],
  [19, 'CORE_BUSY', 'the crypto core this operation needs is busy; retry'],
  [20, 'KEYSTORE_ACCESS', 'the HSM could not access its keystore; check the HSM console'],
  [
    21,
    'KEY_NOT_FOUND',
    'no such key: the handle or name is not valid on this HSM, or the key is not visible to this login (session keys vanish on logout)',
  ],
  [
    22,
    'KEY_NAME_IN_USE',
    'a key with this name is already on this HSM (for a hashsig import: a key with the same LMS identifier I is active here)',
  ],
  [
    23,
    'NO_KEY_SLOTS_AVAILABLE',
    'the HSM keystore is full; delete or raw-export keys first (or close unused key handles: at most 256 are open at once)',
  ],
  [24, 'PIN_INCORRECT', 'wrong PIN'],
  [25, 'NO_CLIENT_SLOTS_AVAILABLE', 'the HSM already has 10 logged-in clients; log one out first'],
  [
    26,
    'FORBIDDEN',
    'not permitted: log in as the right user (NORMAL or WHEEL to use keys), or the key lacks the flag this needs (DIGITALSIGNATURE to sign or verify, EXPORTABLE to export, KEYENCIPHERMENT on a KEKEK)',
  ],
  [
    27,
    'XDR_BUFFER_OVERFLOW',
    'the HSM found the request truncated or malformed (XDR decoding overran the packet)',
  ],
  [
    28,
    'RPC_TRANSPORT',
    'the RPC transport to the HSM failed; check the muxd socket, serial line or TLS connection',
  ],
  [
    29,
    'RPC_PACKET_OVERFLOW',
    'the request or its result would exceed the 16384-byte RPC packet; ask for less',
  ],
  [30, 'RPC_BAD_FUNCTION', (rpc) => `the HSM firmware does not implement ${rpc ?? 'this RPC function'}`],
  [31, 'KEY_NAME_TOO_LONG', 'the key name is not a 16-byte UUID'],
  [
    32,
    'MASTERKEY_NOT_SET',
    'the HSM has no master KEK; enter it from the HSM console before using the keystore',
  ],
  [33, 'MASTERKEY_FAIL', 'the HSM could not read or write its master key memory; check the HSM console'],
  [34, 'MASTERKEY_BAD_LENGTH', "the HSM's master KEK has the wrong length (it must be 32 bytes)"],
  [
    35,
    'KS_DRIVER_NOT_FOUND',
    'the HSM firmware has no keystore driver for this operation (firmware build problem)',
  ],
  [
    36,
    'KEYSTORE_BAD_CRC',
    'a keystore block failed its CRC check (flash damage); restore the key from its current blob',
  ],
  [37, 'KEYSTORE_BAD_BLOCK_TYPE', 'a keystore block has an unknown type (flash damage or firmware mismatch)'],
  [
    38,
    'KEYSTORE_LOST_DATA',
    'the HSM keystore lost data (interrupted write or damage); reconcile the HSM with the ledger',
  ],
  [39, 'BAD_ATTRIBUTE_LENGTH', "an attribute value is too long for the key's keystore block"],
  [
    40,
    'ATTRIBUTE_NOT_FOUND',
    'the key lacks a requested attribute (or has none); ask with buffer_len 0 to get lengths, 0 meaning absent',
  ],
  [41, 'NO_KEY_INDEX_SLOTS', 'the HSM keystore is full; delete or raw-export keys first'],
  [
    42,
    'KS_INDEX_UUID_MISORDERED',
    'the HSM keystore index is out of order (damage); restart the HSM to rebuild it',
  ],
  [
    43,
    'KEYSTORE_WRONG_BLOCK_TYPE',
    'a keystore block has the wrong type for this operation (damage or firmware bug)',
  ],
  [44, 'RPC_PROTOCOL_ERROR', 'the HSM reported an RPC protocol error (request and response did not match)'],
  [
    45,
    'NOT_IMPLEMENTED',
    (rpc) => `the HSM firmware does not implement this operation${rpc ? ` of ${rpc}` : ''}`,
  ],
  [46, 'CORE_REASSIGNED', 'a crypto core was reassigned during the operation; retry'],
  [47, 'ASSERTION_FAILED', 'an HSM firmware assertion failed; report the call and its arguments'],
  [
    48,
    'HASHSIG_KEY_EXHAUSTED',
    'the hashsig key has no one-time signatures left in its range (or too few to split off for export)',
  ],
  [49, 'NOT_READY', 'the HSM is still rebuilding hashsig trees after a restart; retry shortly'],
  [50, 'TAMPER', 'the HSM reports a tamper event; take it out of service and follow the tamper procedure'],
] as const satisfies readonly (readonly [number, string, Advice])[];

export type HalStatusName = 'OK' | (typeof STATUSES)[number][1];

/** `hal_error_t` names indexed by code; 0 is OK (§4.1). */
export const HAL_STATUS_NAMES: readonly HalStatusName[] = ['OK', ...STATUSES.map(([, name]) => name)];

/** Status codes by name, for servers that answer with a status: `HalStatus.KEY_NOT_FOUND` is 21. */
export const HalStatus = Object.fromEntries(HAL_STATUS_NAMES.map((name, code) => [name, code])) as {
  readonly [N in HalStatusName]: number;
};

/** The name of a status code, or undefined if libhal does not define it. */
export function halStatusName(code: number): HalStatusName | undefined {
  return Number.isInteger(code) && code >= 0 && code < HAL_STATUS_NAMES.length
    ? HAL_STATUS_NAMES[code]
    : undefined;
}

function statusMessage(code: number, status: string, rpc: string | undefined, advice: string): string {
  return `${rpc === undefined ? 'HSM call' : rpc} failed with ${status} (${code}): ${advice}`;
}

/** The HSM answered with a non-zero status. */
export abstract class HalStatusError extends HsmError {
  readonly kind = 'status';
  readonly type = 'hsm-error';

  constructor(
    readonly code: number,
    readonly status: HalStatusName | 'UNKNOWN',
    rpc: string | undefined,
    advice: string,
  ) {
    super(statusMessage(code, status, rpc, advice), rpc);
  }

  /** The message names the status and the advice already. */
  override get problemDetail(): string {
    return this.message;
  }

  override get problemExtensions(): Readonly<Record<string, unknown>> {
    return { hsmStatus: this.status, rpc: this.rpc };
  }
}

/** A status code libhal does not define (newer or foreign firmware). */
export class HsmUnknownStatus extends HalStatusError {
  declare readonly status: 'UNKNOWN';
  constructor(code: number, rpc?: string) {
    super(
      code,
      'UNKNOWN',
      rpc,
      'the HSM returned a status this adapter does not know; check the firmware version',
    );
  }
}

/** `KEY_NOT_FOUND` → `HalKeyNotFound`, the name logs and stack traces show. */
function className(status: string): string {
  return `Hal${status.toLowerCase().replace(/(?:^|_)([a-z0-9])/g, (_, c: string) => c.toUpperCase())}`;
}

type StatusClass = new (rpc?: string) => HalStatusError;

function statusClass(code: number, status: Exclude<HalStatusName, 'OK'>, advice: Advice): StatusClass {
  const Status = class extends HalStatusError {
    constructor(rpc?: string) {
      super(code, status, rpc, typeof advice === 'string' ? advice : advice(rpc));
    }
  };
  Object.defineProperty(Status, 'name', { value: className(status) });
  return Status;
}

/** One class per status (docs/style.md §8), by code; OK (0) is not an error. */
const STATUS_CLASSES: ReadonlyMap<number, StatusClass> = new Map(
  STATUSES.map(([code, status, advice]) => [code, statusClass(code, status, advice)]),
);

/**
 * The error for a non-zero status word from the HSM. `code` is the u32 status; 0 (OK) is not an error
 * and is refused with a RangeError, since calling this with 0 is a bug in the caller.
 */
export function halError(code: number, rpc?: string): HalStatusError {
  if (code === 0) throw new RangeError('halError: status 0 is HAL_OK, not an error');
  const Class = STATUS_CLASSES.get(code);
  return Class ? new Class(rpc) : new HsmUnknownStatus(code, rpc);
}

/**
 * Bytes that violate the protocol. On a connection this is fatal: drop the connection (docs/style.md §9).
 * `halStatus` is the status a libhal server answers for such a request, e.g. 27 for truncated XDR.
 */
export class HsmProtocolError extends HsmError {
  readonly kind = 'protocol';
  readonly type = 'hsm-protocol-error';
  constructor(
    message: string,
    readonly halStatus: number = HalStatus.RPC_PROTOCOL_ERROR,
    rpc?: string,
  ) {
    super(message, rpc);
  }
}

/** An XDR read would run past its frame, or a declared length exceeds its field's limit (§2). */
export class XdrOverflow extends HsmProtocolError {
  constructor(
    /** The field being read, e.g. 'PKEY_EXPORT response.pkcs8'. */
    readonly field: string,
    /** Bytes the field needs (for opaques: the declared length). */
    readonly needed: number,
    /** Bytes that were available: what remains of the frame, or the field's maximum. */
    readonly available: number,
    readonly limit: 'frame' | 'field max',
  ) {
    super(
      limit === 'frame'
        ? `"${field}" needs ${needed} bytes but only ${available} remain in the frame`
        : `"${field}" declares ${needed} bytes, more than its maximum of ${available}`,
      HalStatus.XDR_BUFFER_OVERFLOW,
    );
  }
}

/**
 * A frame or packet over the size limit (HAL_RPC_MAX_PKT_SIZE, §1.5): refused, never truncated.
 * From `SlipDecoder` the stream is beyond repair (drop the connection); from `XdrWriter` nothing was
 * sent, the call just asks for too much (a server answers RPC_PACKET_OVERFLOW).
 */
export class FrameTooLarge extends HsmProtocolError {
  constructor(
    readonly size: number,
    readonly limit: number,
    what = 'SLIP frame',
  ) {
    super(`${what} exceeds the ${limit}-byte limit (reached ${size} bytes)`, HalStatus.RPC_PACKET_OVERFLOW);
  }
}

/** I/O to the HSM failed: connect refused, socket closed mid-call, timeout. */
export class HsmTransportError extends HsmError {
  readonly kind = 'transport';
  readonly type = 'hsm-transport-error';
  constructor(message: string, rpc?: string, options?: ErrorOptions) {
    super(message, rpc, options);
  }
}
