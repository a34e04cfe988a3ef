/**
 * Applies key events to custody state. Decisions were made in `decide`; evolve only records them,
 * and checks what must hold after every step of history (docs/architecture.md §3): hashsig copies own disjoint
 * ranges, and only a live key receives custody events.
 */
import { InvariantViolated, unknownType } from '../errors';
import { assertDisjoint, comparePaths, type IndexPath } from '../hashsig';
import { lookup, withEntry } from '../message';
import type { KeyEvent, KeyGenerated, KeyRawExported, KeyTransitExported } from './events';
import { residencyChange } from './residency';
import type { BlobRecord, ClosedOp, Copy, KeyState, LiveKey, OpenOp } from './state';

export function evolve(state: KeyState, event: KeyEvent): KeyState {
  const next = custodyAfter(state, event);
  // Residency follows one rule, shared with the read side's residency projection (residency.ts).
  const change = residencyChange(event);
  if (change === undefined || next.status !== 'live') return next;
  return {
    ...next,
    residency: withEntry(next.residency, change.hsmId, change.apply(lookup(next.residency, change.hsmId))),
  };
}

function custodyAfter(state: KeyState, event: KeyEvent): KeyState {
  if (event.type === 'KeyGenerated') return generated(state, event.data);
  if (state.status !== 'live') {
    throw new InvariantViolated(`${event.type} for key ${event.data.keyId}, which is ${state.status}`);
  }
  switch (event.type) {
    case 'KeyRawExportStarted': {
      const { opId, hsmId, copyId, kekDomainId, reason, at } = event.data;
      return withOp(state, {
        kind: 'raw-export',
        opId,
        hsmId,
        copyId,
        kekDomainId,
        startedAt: at,
        ...(reason === undefined ? {} : { reason }),
      });
    }
    case 'KeyRawExported':
      return rawExported(state, event.data);
    case 'KeyDeletedFromHsm': {
      const e = event.data;
      return e.lostCopyId === null
        ? state
        : loseCopy(state, e.lostCopyId, e.at, `deleted from ${e.hsmId}: ${e.reason}`);
    }
    case 'KeyRawImportStarted': {
      const { opId, hsmId, copyId, blobSha256, kekDomainId, at } = event.data;
      return withOp(state, {
        kind: 'raw-import',
        opId,
        hsmId,
        copyId,
        blobSha256,
        kekDomainId,
        startedAt: at,
      });
    }
    case 'KeyRawImported': {
      const e = event.data;
      const next = closeOp(state, e.opId, 'raw-import', 'completed', e.at, e.blobSha256, e.hsmName);
      return arrived(next, e.hsmId, e.hsmName, e.copyId, e.blobSha256, e.at);
    }
    case 'KeyOperationFailed': {
      const e = event.data;
      let next = closeOp(state, e.opId, e.kind, 'failed', e.at);
      if (e.abandonedBlobSha256 !== null) {
        next = {
          ...next,
          blobs: updateBlob(next.blobs, e.abandonedBlobSha256, { status: 'destroyed', statusSince: e.at }),
        };
      }
      return e.lostCopyId === null
        ? next
        : loseCopy(next, e.lostCopyId, e.at, `transfer ${e.opId} failed after export: ${e.reason}`);
    }
    case 'KeyTransferPrepared': {
      const e = event.data;
      return withOp(state, {
        kind: 'transfer',
        opId: e.opId,
        fromHsm: e.fromHsm,
        toHsm: e.toHsm,
        copyId: e.copyId,
        kekek: null,
        priorKekekNames: e.priorKekekNames,
        startedAt: e.at,
        exported: null,
      });
    }
    case 'KekekGenerated':
      // Provenance lives in the event; KeyTransferStarted (next) carries what decisions need.
      return state;
    case 'KeyBackupImported':
    case 'KeyBackupExported':
      // A cryptech_backup file: the arrival is the residency rule's (residency.ts); the export leaves
      // custody state as it was, its facts (file, KEKEK) live in the event.
      return state;
    case 'KeyTransferStarted': {
      // Normally completes a prepared op; ledgers from before KeyTransferPrepared start it here.
      const e = event.data;
      const prepared = lookup(state.ops, e.opId);
      return withOp(state, {
        kind: 'transfer',
        opId: e.opId,
        fromHsm: e.fromHsm,
        toHsm: e.toHsm,
        copyId: e.copyId,
        kekek: { hsmId: e.toHsm, kekekName: e.kekekName, spkiSha256: e.kekekSpkiSha256 },
        priorKekekNames: prepared?.kind === 'transfer' ? prepared.priorKekekNames : [],
        startedAt: prepared?.startedAt ?? e.at,
        exported: null,
      });
    }
    case 'KeyTransitExported':
      return transitExported(state, event.data);
    case 'KeyTransitImported': {
      const e = event.data;
      const next = closeOp(state, e.opId, 'transfer', 'completed', e.at, e.transitBlobSha256, e.hsmName);
      return arrived(next, e.toHsm, e.hsmName, e.copyId, e.transitBlobSha256, e.at);
    }
    case 'HashsigSignaturesReleased':
      return logged(state, event.data.copyId, event.data.indexPaths, 'released');
    case 'HashsigSignaturesWithheld':
      return logged(state, event.data.copyId, event.data.indexPaths, 'withheld');
    case 'HashsigReuseDetected': {
      const e = event.data;
      const next = logged(state, e.copyId, e.indexPaths, 'withheld');
      return { ...next, frozen: { at: e.at, copyId: e.copyId, rule: e.offending.rule, detail: e.detail } };
    }
    case 'HashsigReuseObserved': {
      // The index log is unchanged (the path is judged, not spent); the latest alarm describes the freeze.
      const e = event.data;
      return {
        ...state,
        frozen: { at: e.at, copyId: e.copyId, rule: `observed-${e.outcome}`, detail: e.detail },
      };
    }
    case 'KeyUnfrozen':
      return { ...state, frozen: null };
    case 'KeyPinChanged': {
      // Only a pinned key carries the member: states of keys never pinned stay as they were.
      const { pinned: _pinned, ...rest } = state;
      return event.data.pinned ? { ...rest, pinned: true } : rest;
    }
    case 'KeyDestroyed': {
      const { at, reason, blobSha256s } = event.data;
      return {
        status: 'destroyed',
        keyId: state.keyId,
        keyType: state.keyType,
        destroyedAt: at,
        reason,
        blobSha256s,
      };
    }
    default:
      return unknownType(event, 'key event');
  }
}

function generated(state: KeyState, e: KeyGenerated['data']): KeyState {
  if (state.status !== 'absent') {
    throw new InvariantViolated(`KeyGenerated for key ${e.keyId}, which is already ${state.status}`);
  }
  const copy: Copy =
    e.keyType === 'hashsig' && e.range !== null
      ? {
          kind: 'hashsig',
          copyId: e.copyId,
          parentCopyId: null,
          range: e.range,
          holder: { kind: 'hsm', hsmId: e.hsmId, hsmKeyName: e.hsmName, since: e.at },
          lastPath: null,
          released: 0,
          withheld: 0,
          createdAt: e.at,
        }
      : { kind: 'plain', copyId: e.copyId, createdAt: e.at };
  const common = {
    status: 'live' as const,
    keyId: e.keyId,
    flags: e.flags,
    publicKey: e.publicKey,
    attributes: e.attributes,
    originCopyId: e.copyId,
    generatedOn: e.hsmId,
    generatedAt: e.at,
    copies: withEntry<Copy>({}, e.copyId, copy),
    blobs: {},
    residency: {},
    ops: {},
    closedOps: {},
    frozen: null,
  };
  switch (e.keyType) {
    case 'rsa':
      return { ...common, keyType: 'rsa', params: e.params };
    case 'ec':
      return { ...common, keyType: 'ec', params: e.params };
    case 'hashsig':
      return { ...common, keyType: 'hashsig', params: e.params };
  }
}

/** The blob becomes current; hashsig: it holds the copy and the exporting HSM's copy is disabled (docs/libhal-rpc.md §9.2). */
function rawExported(state: LiveKey, e: KeyRawExported['data']): LiveKey {
  let blobs = withEntry(state.blobs, e.blobSha256, {
    sha256: e.blobSha256,
    copyId: e.copyId,
    kind: 'raw',
    status: 'current',
    statusSince: e.at,
    kekDomainId: e.kekDomainId,
    producedBy: e.hsmId,
    opId: e.opId,
    at: lookup(state.blobs, e.blobSha256)?.at ?? e.at,
    supersededBy: null,
    consumedBy: null,
  });
  for (const old of e.supersedes) {
    blobs = updateBlob(blobs, old, { status: 'superseded', statusSince: e.at, supersededBy: e.blobSha256 });
  }
  const next: LiveKey = { ...closeOp(state, e.opId, 'raw-export', 'completed', e.at, e.blobSha256), blobs };
  const copy = lookup(next.copies, e.copyId);
  if (copy?.kind !== 'hashsig' || e.range === null) return next;
  // The exporting HSM's copy is disabled by the residency rule (residency.ts).
  return withCopy(next, {
    ...copy,
    range: e.range,
    holder: { kind: 'blob', sha256: e.blobSha256, since: e.at },
  });
}

/** The transit blob holds the exported copy until the destination imports it; hashsig splits per docs/libhal-rpc.md §7.6. */
function transitExported(state: LiveKey, e: KeyTransitExported['data']): LiveKey {
  const op = lookup(state.ops, e.opId);
  if (op?.kind !== 'transfer')
    throw new InvariantViolated(`KeyTransitExported for ${e.opId}, which is no open transfer`);
  const transit: BlobRecord = {
    sha256: e.transitBlobSha256,
    copyId: e.copyId,
    kind: 'transit',
    status: 'current',
    statusSince: e.at,
    kekDomainId: null,
    producedBy: e.fromHsm,
    opId: e.opId,
    at: e.at,
    supersededBy: null,
    consumedBy: null,
  };
  const next: LiveKey = {
    ...state,
    ops: withEntry(state.ops, e.opId, {
      ...op,
      exported: { copyId: e.copyId, transitBlobSha256: e.transitBlobSha256, at: e.at },
    }),
    blobs: withEntry(state.blobs, e.transitBlobSha256, transit),
  };
  const source = lookup(state.copies, e.sourceCopyId);
  if (source?.kind !== 'hashsig' || e.partition === null) return next;
  return withCopy(withCopy(next, { ...source, range: e.partition.sourceRange }), {
    kind: 'hashsig',
    copyId: e.copyId,
    parentCopyId: e.sourceCopyId,
    range: e.partition.exportedRange,
    holder: { kind: 'blob', sha256: e.transitBlobSha256, since: e.at },
    lastPath: null,
    released: 0,
    withheld: 0,
    createdAt: e.at,
  });
}

function withOp(state: LiveKey, op: OpenOp): LiveKey {
  return { ...state, ops: withEntry(state.ops, op.opId, op) };
}

function closeOp(
  state: LiveKey,
  opId: string,
  kind: OpenOp['kind'],
  outcome: ClosedOp['outcome'],
  at: string,
  blobSha256: string | null = null,
  hsmName: string | null = null,
): LiveKey {
  const closed: ClosedOp = { kind, outcome, blobSha256, hsmName, at };
  return {
    ...state,
    ops: withEntry(state.ops, opId, undefined),
    closedOps: withEntry(state.closedOps, opId, closed),
  };
}

/** Every change to a copy goes through here, so disjointness is checked after each step (docs/architecture.md §3). */
function withCopy(state: LiveKey, copy: Copy): LiveKey {
  const next = { ...state, copies: withEntry(state.copies, copy.copyId, copy) };
  assertDisjoint(
    Object.values(next.copies).flatMap((c) =>
      c.kind === 'hashsig' ? [{ label: `copy ${c.copyId}`, range: c.range }] : [],
    ),
    `key ${state.keyId}`,
  );
  return next;
}

function updateBlob(
  blobs: LiveKey['blobs'],
  sha256: string,
  change: Partial<Pick<BlobRecord, 'status' | 'statusSince' | 'supersededBy' | 'consumedBy'>>,
): LiveKey['blobs'] {
  const blob = lookup(blobs, sha256);
  if (blob === undefined)
    throw new InvariantViolated(`an event names blob ${sha256}, which the key does not have`);
  return withEntry(blobs, sha256, { ...blob, ...change });
}

/** A copy arrived on an HSM from a blob (raw or transit). */
function arrived(
  state: LiveKey,
  hsmId: string,
  hsmName: string,
  copyId: string,
  blobSha256: string,
  at: string,
): LiveKey {
  let next = state;
  const copy = lookup(next.copies, copyId);
  const blob = lookup(next.blobs, blobSha256);
  // RSA/EC raw blobs stay current after an import (many holders); hashsig blobs and transit blobs are used up.
  if (blob !== undefined && (copy?.kind === 'hashsig' || blob.kind === 'transit')) {
    next = {
      ...next,
      blobs: updateBlob(next.blobs, blobSha256, { status: 'consumed', statusSince: at, consumedBy: hsmId }),
    };
  }
  if (copy?.kind !== 'hashsig') return next;
  return withCopy(next, { ...copy, holder: { kind: 'hsm', hsmId, hsmKeyName: hsmName, since: at } });
}

function loseCopy(state: LiveKey, copyId: string, at: string, reason: string): LiveKey {
  const copy = lookup(state.copies, copyId);
  if (copy?.kind !== 'hashsig') return state;
  return withCopy(state, { ...copy, holder: { kind: 'none', since: at, reason } });
}

/** The index log head moves to the greatest path seen, whether released or not: those indices are used. */
function logged(
  state: LiveKey,
  copyId: string,
  paths: readonly IndexPath[],
  as: 'released' | 'withheld',
): LiveKey {
  const copy = lookup(state.copies, copyId);
  if (copy?.kind !== 'hashsig') {
    throw new InvariantViolated(
      `signatures recorded for ${copyId}, which is no hashsig copy of key ${state.keyId}`,
    );
  }
  let lastPath = copy.lastPath;
  for (const p of paths) if (lastPath === null || comparePaths(p, lastPath) > 0) lastPath = p;
  return withCopy(state, { ...copy, lastPath, [as]: copy[as] + paths.length });
}
