/**
 * The slice of RFC 8554 parameters the ledger needs to count indices (docs/libhal-rpc.md §4.4, §7.1): the
 * tree height of each LMS type. The domain does no hashing; the soft HSM holds the full tables.
 */
import { InvalidCommand } from '../errors';

/** LMS type code → tree height h (RFC 8554 §5.1; LMS_SHA256_M32_H5 = 5 … H25 = 9). */
const LMS_HEIGHT: Readonly<Record<number, number>> = { 5: 5, 6: 10, 7: 15, 8: 20, 9: 25 };
/** LM-OTS codes libhal accepts for keys (W1 = 1 does not fit a keystore block, docs/libhal-rpc.md §7.1). */
const LMOTS_TYPES: readonly number[] = [2, 3, 4];

/** Names of the LMS and LM-OTS type codes, as the API and the reports show them (H5 … H25, W2 … W8). */
export const LMS_TYPE_NAMES: Readonly<Record<number, string>> = {
  5: 'H5',
  6: 'H10',
  7: 'H15',
  8: 'H20',
  9: 'H25',
};
export const LMOTS_TYPE_NAMES: Readonly<Record<number, string>> = { 2: 'W2', 3: 'W4', 4: 'W8' };

export type HashsigParams = {
  /** HSS levels L, 1 … 8. */
  readonly levels: number;
  readonly lmsType: number;
  readonly lmotsType: number;
  /** Identifier I of the top LMS tree (16 bytes, lowercase hex), from the public key (RFC 8554 §5.3). */
  readonly I: string;
};

export function checkHashsigParams(p: HashsigParams, field = 'params'): void {
  if (!Number.isInteger(p.levels) || p.levels < 1 || p.levels > 8) {
    throw new InvalidCommand(
      `"${field}.levels" expected 1 … 8 (docs/libhal-rpc.md §7.1), got ${String(p.levels)}`,
    );
  }
  if (!Object.hasOwn(LMS_HEIGHT, p.lmsType)) {
    throw new InvalidCommand(
      `"${field}.lmsType" expected an LMS type 5 … 9 (docs/libhal-rpc.md §4.4), got ${String(p.lmsType)}`,
    );
  }
  if (!LMOTS_TYPES.includes(p.lmotsType)) {
    throw new InvalidCommand(
      `"${field}.lmotsType" expected an LM-OTS type 2 … 4 (docs/libhal-rpc.md §7.1), got ${String(p.lmotsType)}`,
    );
  }
  if (typeof p.I !== 'string' || !/^[0-9a-f]{32}$/.test(p.I)) {
    throw new InvalidCommand(
      `"${field}.I" expected 16 bytes as 32 lowercase hex characters, got ${JSON.stringify(p.I)}`,
    );
  }
}

export function treeHeight(p: HashsigParams): number {
  return LMS_HEIGHT[p.lmsType]!;
}

/** Leaves of the top tree: the index space copies partition (docs/libhal-rpc.md §7.6). */
export function topLeaves(p: HashsigParams): number {
  return 2 ** treeHeight(p);
}

/** Signatures one top leaf can carry through the levels below it (RFC 8554 §6: 2^(h·(L−1))). */
export function signaturesPerTopLeaf(p: HashsigParams): number {
  return 2 ** (treeHeight(p) * (p.levels - 1));
}
