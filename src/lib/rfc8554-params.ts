/**
 * RFC 8554 parameter sets on SHA-256 with n = m = 32: LM-OTS types (§4.1, IANA "LM-OTS
 * Signatures") and LMS types (§5.1, IANA "Leighton-Micali Signatures"). Codes as in docs/libhal-rpc.md §4.4.
 */
import { aint } from './bytes';
import { HashsigUnsupportedType } from './errors';

/** LM-OTS type codes (RFC 8554 §4.1 table). */
export const LmotsType = { W1: 1, W2: 2, W4: 3, W8: 4 } as const;
export type LmotsTypeCode = (typeof LmotsType)[keyof typeof LmotsType];

/** LMS type codes (RFC 8554 §5.1 table). */
export const LmsType = { H5: 5, H10: 6, H15: 7, H20: 8, H25: 9 } as const;
export type LmsTypeCode = (typeof LmsType)[keyof typeof LmsType];

export interface LmotsParams {
  readonly code: LmotsTypeCode;
  readonly name: string;
  /** Hash output bytes. */
  readonly n: 32;
  /** Winternitz parameter: bits per digit. */
  readonly w: 1 | 2 | 4 | 8;
  /** Number of n-byte chains (digits of Q || Cksm(Q)). */
  readonly p: number;
  /** Left shift applied to the checksum (§4.4). */
  readonly ls: number;
  /** u32str(type) || C || y[0..p-1] (§4.5). */
  readonly sigLength: number;
}

export interface LmsParams {
  readonly code: LmsTypeCode;
  readonly name: string;
  readonly m: 32;
  /** Tree height: 2^h leaves. */
  readonly h: 5 | 10 | 15 | 20 | 25;
}

function lmots(code: LmotsTypeCode, w: LmotsParams['w'], p: number, ls: number): LmotsParams {
  return Object.freeze({
    code,
    name: `LMOTS_SHA256_N32_W${w}`,
    n: 32,
    w,
    p,
    ls,
    sigLength: 4 + 32 * (p + 1),
  });
}

// RFC 8554 §4.1 table (p and ls also follow from Appendix B; params.spec.ts recomputes them).
const LMOTS: ReadonlyMap<number, LmotsParams> = new Map([
  [1, lmots(1, 1, 265, 7)],
  [2, lmots(2, 2, 133, 6)],
  [3, lmots(3, 4, 67, 4)],
  [4, lmots(4, 8, 34, 0)],
]);

const LMS: ReadonlyMap<number, LmsParams> = new Map(
  ([5, 10, 15, 20, 25] as const).map((h, i): [number, LmsParams] => [
    5 + i,
    Object.freeze({ code: (5 + i) as LmsTypeCode, name: `LMS_SHA256_M32_H${h}`, m: 32, h }),
  ]),
);

export function isLmotsType(code: number): code is LmotsTypeCode {
  return LMOTS.has(code);
}

export function isLmsType(code: number): code is LmsTypeCode {
  return LMS.has(code);
}

export function lmotsParams(code: number): LmotsParams {
  const params = LMOTS.get(code);
  if (!params)
    throw new HashsigUnsupportedType(
      'lmots',
      code,
      'RFC 8554 §4.1 defines SHA-256 types 1..4 (W1, W2, W4, W8)',
    );
  return params;
}

export function lmsParams(code: number): LmsParams {
  const params = LMS.get(code);
  if (!params)
    throw new HashsigUnsupportedType('lms', code, 'RFC 8554 §5.1 defines SHA-256 types 5..9 (H5..H25)');
  return params;
}

/** Bytes of an LMS public key: u32str(type) || u32str(otstype) || I || T[1] (§5.3). */
export const LMS_PUBLIC_KEY_LENGTH = 4 + 4 + 16 + 32;

/** Bytes of an LMS signature: u32str(q) || lmots_signature || u32str(type) || path[0..h-1] (§5.4). */
export function lmsSignatureLength(lms: LmsParams, ots: LmotsParams): number {
  return 4 + ots.sigLength + 4 + 32 * lms.h;
}

/**
 * Bytes of an HSS signature with L levels of the same types (§6.2; docs/libhal-rpc.md §7.1):
 * 4 + L·(8 + (4 + 32·(p+1)) + 32·h) + 56·(L−1).
 */
export function hssSignatureLength(levels: number, lmsType: number, lmotsType: number): number {
  aint(levels, 'levels', 1, HSS_MAX_LEVELS);
  return (
    4 +
    levels * lmsSignatureLength(lmsParams(lmsType), lmotsParams(lmotsType)) +
    LMS_PUBLIC_KEY_LENGTH * (levels - 1)
  );
}

/** Bytes of an HSS public key: u32str(L) || lms_public_key (§6.1). */
export const HSS_PUBLIC_KEY_LENGTH = 4 + LMS_PUBLIC_KEY_LENGTH;

/** HSS levels supported by libhal and RFC 8554 §6 (1 ≤ L ≤ 8). */
export const HSS_MAX_LEVELS = 8;
