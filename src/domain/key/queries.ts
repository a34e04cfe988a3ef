/**
 * Pure questions about a key's custody (docs/architecture.md §3, §7): used by the decider for its rules and
 * messages, and by handlers and reports.
 */
import { abbr } from '../format';
import { from, type IndexPath, signaturesPerTopLeaf, size, treeHeight } from '../hashsig';
import { lookup } from '../message';
import type { BlobRecord, Copy, HashsigCopy, Holder, KeyState, LiveKey, OpenOp } from './state';

/** The lowest top-level leaf the copy may still start a subtree from. */
export function nextTop(copy: HashsigCopy): number {
  return copy.lastPath === null ? copy.range.start : Math.max(copy.range.start, copy.lastPath[0]!.q + 1);
}

export function describeHolder(holder: Holder): string {
  switch (holder.kind) {
    case 'hsm':
      return `${holder.hsmId} since ${holder.since}`;
    case 'blob':
      return `blob ${abbr(holder.sha256)} since ${holder.since}`;
    case 'none':
      return `no one (lost since ${holder.since}: ${holder.reason})`;
  }
}

export function describeOp(op: OpenOp): string {
  switch (op.kind) {
    case 'raw-export':
      return `raw-export ${op.opId} from ${op.hsmId}, open since ${op.startedAt}`;
    case 'raw-import':
      return `raw-import ${op.opId} of blob ${abbr(op.blobSha256)} onto ${op.hsmId}, open since ${op.startedAt}`;
    case 'transfer':
      return `transfer ${op.opId} from ${op.fromHsm} to ${op.toHsm}${op.kekek === null ? ' (prepared, no KEKEK recorded)' : ''}, open since ${op.startedAt}`;
  }
}

/**
 * The current blob of a copy (default: the copy the key was generated as). Hashsig: the blob
 * holding the copy, if a blob holds it. RSA/EC: the newest raw blob.
 */
export function currentBlob(state: KeyState, copyId?: string): BlobRecord | undefined {
  if (state.status !== 'live') return undefined;
  const copy = lookup(state.copies, copyId ?? state.originCopyId);
  if (copy === undefined) return undefined;
  if (copy.kind === 'hashsig')
    return copy.holder.kind === 'blob' ? lookup(state.blobs, copy.holder.sha256) : undefined;
  return Object.values(state.blobs).find(
    (b) => b.copyId === copy.copyId && b.kind === 'raw' && b.status === 'current',
  );
}

/**
 * The blob a key's views show as current: the origin copy's current blob, else any copy's (a
 * hashsig key whose transferred copy was raw-exported). Used by the API's key views and the reports.
 */
export function keyCurrentBlob(state: LiveKey): BlobRecord | undefined {
  return (
    currentBlob(state) ??
    Object.keys(state.copies)
      .map((c) => currentBlob(state, c))
      .find((b) => b !== undefined)
  );
}

export type HolderView =
  | {
      readonly copyId: string;
      readonly kind: 'hsm';
      readonly hsmId: string;
      readonly hsmKeyName: string;
      readonly since: string;
    }
  | { readonly copyId: string; readonly kind: 'blob'; readonly sha256: string; readonly since: string };

/** Every live holder: HSMs that can use the key, and blobs that hold a copy (hashsig) or are current (RSA/EC). */
export function liveHolders(state: KeyState): HolderView[] {
  if (state.status !== 'live') return [];
  const out: HolderView[] = [];
  for (const r of Object.values(state.residency)) {
    if (r.status === 'live')
      out.push({ copyId: r.copyId, kind: 'hsm', hsmId: r.hsmId, hsmKeyName: r.hsmKeyName, since: r.since });
  }
  for (const copy of Object.values(state.copies)) {
    const blob = currentBlob(state, copy.copyId);
    if (blob !== undefined)
      out.push({ copyId: copy.copyId, kind: 'blob', sha256: blob.sha256, since: blob.statusSince });
  }
  return out;
}

export function hashsigCopies(state: LiveKey): HashsigCopy[] {
  return Object.values(state.copies).filter((c: Copy): c is HashsigCopy => c.kind === 'hashsig');
}

export type HashsigUsage = {
  /** Signatures released through the ledger. */
  readonly signatures: number;
  /** Indices used but withheld (frozen key, unknown signer, reuse). */
  readonly withheld: number;
  /** Highest top-level index used by any copy; null before the first signature. */
  readonly lastIndex: number | null;
  readonly remainingTopLeaves: number;
  /**
   * Upper bound on signatures still possible from live copies: unused top leaves × 2^(h·(L−1)), plus
   * what is left below the current top leaf of copies on an HSM. Reboots burn leaves
   * (docs/libhal-rpc.md §7.3), so the true figure can be lower; exact below 2^53.
   */
  readonly remaining: number;
};

export function hashsigUsage(state: KeyState): HashsigUsage | null {
  if (state.status !== 'live' || state.keyType !== 'hashsig') return null;
  const perLeaf = signaturesPerTopLeaf(state.params);
  const h = treeHeight(state.params);
  let signatures = 0;
  let withheld = 0;
  let lastIndex: number | null = null;
  let remainingTopLeaves = 0;
  let remaining = 0;
  for (const copy of hashsigCopies(state)) {
    signatures += copy.released;
    withheld += copy.withheld;
    if (copy.lastPath !== null) lastIndex = Math.max(lastIndex ?? 0, copy.lastPath[0]!.q);
    if (copy.holder.kind === 'none') continue;
    const leaves = size(from(copy.range, nextTop(copy)));
    remainingTopLeaves += leaves;
    remaining += leaves * perLeaf;
    if (copy.holder.kind === 'hsm' && copy.lastPath !== null)
      remaining += perLeaf - 1 - rankBelowTop(copy.lastPath, h);
  }
  return { signatures, withheld, lastIndex, remainingTopLeaves, remaining };
}

/** Position of a path among the paths below its top leaf (levels 1 … L−1 as base-2^h digits). */
function rankBelowTop(path: IndexPath, h: number): number {
  return path.slice(1).reduce((rank, level) => rank * 2 ** h + level.q, 0);
}

export type Obligation = {
  readonly kind: 'delete-disabled-copy';
  readonly hsmId: string;
  readonly hsmKeyName: string;
  readonly copyId: string;
  readonly blobSha256: string;
  readonly since: string;
};

/** HSM copies disabled by a hashsig raw export that still await PKEY_DELETE (docs/architecture.md §3). */
export function openObligations(state: KeyState): Obligation[] {
  if (state.status !== 'live') return [];
  return Object.values(state.residency).flatMap((r) =>
    r.disabledBy === null
      ? []
      : [
          {
            kind: 'delete-disabled-copy' as const,
            hsmId: r.hsmId,
            hsmKeyName: r.hsmKeyName,
            copyId: r.copyId,
            blobSha256: r.disabledBy.blobSha256,
            since: r.disabledBy.at,
          },
        ],
  );
}

/** A presented blob's standing, as the blob stream records it (`PresentBlob`). */
export type BlobVerdict =
  | { readonly accepted: true; readonly copyId: string }
  | {
      readonly accepted: false;
      readonly reason: string;
      readonly currentBlobSha256: string | null;
      readonly currentHolder: string | null;
    };

/**
 * May this blob be imported? Hashsig: only the current blob of its copy; the refusal names the
 * current blob and the copy's holder. RSA/EC: any raw blob that is not destroyed.
 */
export function blobVerdict(state: KeyState, sha256: string): BlobVerdict {
  const refuse = (
    reason: string,
    current: BlobRecord | undefined = undefined,
    holder: string | null = null,
  ): BlobVerdict => ({
    accepted: false,
    reason,
    currentBlobSha256: current?.sha256 ?? null,
    currentHolder: holder,
  });
  if (state.status === 'absent') return refuse(`blob ${abbr(sha256)} belongs to no key in the ledger`);
  if (state.status === 'destroyed')
    return refuse(`blob ${abbr(sha256)} belongs to key ${state.keyId}, destroyed at ${state.destroyedAt}`);
  const blob = lookup(state.blobs, sha256);
  if (blob === undefined) return refuse(`blob ${abbr(sha256)} is not a blob of key ${state.keyId}`);
  if (blob.status === 'destroyed') return refuse(`blob ${abbr(sha256)} was destroyed at ${blob.statusSince}`);
  const copy = lookup(state.copies, blob.copyId);
  if (copy === undefined || copy.kind === 'plain') {
    return blob.kind === 'raw'
      ? { accepted: true, copyId: blob.copyId }
      : refuse(`blob ${abbr(sha256)} is a transit blob`);
  }
  if (blob.status === 'current' && copy.holder.kind === 'blob' && copy.holder.sha256 === sha256) {
    return { accepted: true, copyId: copy.copyId };
  }
  const current = currentBlob(state, copy.copyId);
  const by =
    blob.supersededBy !== null
      ? ` by ${abbr(blob.supersededBy)}`
      : blob.consumedBy !== null
        ? ` by ${blob.consumedBy}`
        : '';
  return refuse(
    `blob ${abbr(sha256)} is ${blob.status}${by}; copy ${copy.copyId} of key ${state.keyId} is held by ${describeHolder(copy.holder)}`,
    current,
    copy.holder.kind === 'hsm'
      ? copy.holder.hsmId
      : copy.holder.kind === 'blob'
        ? `blob ${copy.holder.sha256}`
        : null,
  );
}
