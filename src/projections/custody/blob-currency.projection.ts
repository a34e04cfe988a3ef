/**
 * Blob currency: one doc per blob SHA-256 with its key, copy and status (docs/architecture.md §3: current,
 * consumed, superseded, destroyed), mirroring the transitions of the key's fold. A blob stored
 * whose export was never recorded (a crash between the two) stays `unrecorded`.
 */
import type { RecordedEvent } from '../../event-store/event-store';
import type { Projection } from '../projection';
import { keyIdOf, toDoc } from './key-state';

export type BlobCurrencyStatus = 'unrecorded' | 'current' | 'consumed' | 'superseded' | 'destroyed';

export interface BlobCurrencyDoc {
  readonly sha256: string;
  readonly keyId: string | null;
  readonly copyId: string | null;
  readonly kind: 'raw' | 'transit' | null;
  /** True for a blob of a hashsig copy: importing it uses it up. */
  readonly hashsig: boolean;
  readonly status: BlobCurrencyStatus;
  readonly statusSince: string | null;
  readonly supersededBy: string | null;
  readonly consumedBy: string | null;
  /** Whether its bytes are in the ledger (`blob-<sha>` BlobStored). */
  readonly stored: boolean;
  /** Times it was handed in and refused, with the last reason. */
  readonly refusals: number;
  readonly lastRefusal: string | null;
}

function blank(sha256: string): BlobCurrencyDoc {
  return {
    sha256,
    keyId: null,
    copyId: null,
    kind: null,
    hashsig: false,
    status: 'unrecorded',
    statusSince: null,
    supersededBy: null,
    consumedBy: null,
    stored: false,
    refusals: 0,
    lastRefusal: null,
  };
}

function blobsOf(event: RecordedEvent): string[] {
  const d = event.data;
  if (event.type === 'BlobStored' || event.type === 'BlobRefused') {
    return event.streamName === `blob-${String(d.sha256)}` ? [d.sha256 as string] : [];
  }
  if (keyIdOf(event) === undefined) return [];
  switch (event.type) {
    case 'KeyRawExported':
      return [d.blobSha256 as string, ...(d.supersedes as string[])];
    case 'KeyTransitExported':
    case 'KeyTransitImported':
      return [d.transitBlobSha256 as string];
    case 'KeyRawImported':
      return [d.blobSha256 as string];
    case 'KeyOperationFailed':
      return d.abandonedBlobSha256 === null ? [] : [d.abandonedBlobSha256 as string];
    case 'KeyDestroyed':
      return d.blobSha256s as string[];
    default:
      return [];
  }
}

/** Which of the event's blobs `sha256` is, and what the event does to it. */
function apply(doc: BlobCurrencyDoc, event: RecordedEvent): BlobCurrencyDoc {
  const d = event.data;
  const at = d.at as string;
  const keyId = (d.keyId as string | undefined) ?? doc.keyId;
  switch (event.type) {
    case 'BlobStored':
      return { ...doc, keyId, kind: d.kind as 'raw' | 'transit', stored: true };
    case 'BlobRefused':
      return {
        ...doc,
        keyId: doc.keyId ?? (d.keyId as string | null),
        refusals: doc.refusals + 1,
        lastRefusal: d.reason as string,
      };
    case 'KeyRawExported':
      if (d.blobSha256 === doc.sha256) {
        return {
          ...doc,
          keyId,
          copyId: d.copyId as string,
          kind: 'raw',
          hashsig: d.range !== null,
          status: 'current',
          statusSince: at,
        };
      }
      return { ...doc, keyId, status: 'superseded', statusSince: at, supersededBy: d.blobSha256 as string };
    case 'KeyTransitExported':
      return {
        ...doc,
        keyId,
        copyId: d.copyId as string,
        kind: 'transit',
        hashsig: d.partition !== null,
        status: 'current',
        statusSince: at,
      };
    case 'KeyRawImported':
    case 'KeyTransitImported':
      // RSA/EC raw blobs stay current after an import; hashsig and transit blobs are used up.
      if (!doc.hashsig && doc.kind === 'raw') return doc;
      return { ...doc, status: 'consumed', statusSince: at, consumedBy: (d.hsmId ?? d.toHsm) as string };
    case 'KeyOperationFailed':
    case 'KeyDestroyed':
      return { ...doc, keyId, status: 'destroyed', statusSince: at };
    default:
      return doc;
  }
}

/**
 * The blob a doc-less call is about. `evolve` is not told the doc id, so only events that create a
 * blob's record may start a doc: every other blob an event names (superseded, consumed, destroyed)
 * already has one in a consistent ledger, and a doc-less call for it is left without a doc.
 */
function createdBlob(event: RecordedEvent): string | undefined {
  switch (event.type) {
    case 'BlobStored':
    case 'BlobRefused':
      return event.data.sha256 as string;
    case 'KeyRawExported':
      return event.data.blobSha256 as string;
    case 'KeyTransitExported':
      return event.data.transitBlobSha256 as string;
    default:
      return undefined;
  }
}

export const blobCurrencyProjection: Projection = {
  name: 'custody.blob-currency',
  version: 1,
  handles: blobsOf,
  evolve(doc, event) {
    if (doc !== undefined) return toDoc(apply(doc as unknown as BlobCurrencyDoc, event));
    const sha256 = createdBlob(event);
    return sha256 === undefined ? undefined : toDoc(apply(blank(sha256), event));
  },
};
