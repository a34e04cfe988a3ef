import type { Event } from '../message';

export type BlobStored = Event<
  'BlobStored',
  {
    readonly sha256: string;
    readonly keyId: string;
    readonly bytesBase64: string;
    readonly kind: 'raw' | 'transit';
    readonly at: string;
  }
>;

/** For hashsig the refusal names the current blob and the copy's holder. */
export type BlobRefused = Event<
  'BlobRefused',
  {
    readonly sha256: string;
    readonly keyId: string | null;
    readonly reason: string;
    readonly presentedBy: string;
    readonly currentBlobSha256: string | null;
    readonly currentHolder: string | null;
    readonly at: string;
  }
>;

/** The blob's key was destroyed: its bytes are no longer served, and they stay where they are. */
export type BlobDestroyed = Event<
  'BlobDestroyed',
  {
    readonly sha256: string;
    readonly keyId: string;
    readonly reason: string;
    readonly at: string;
  }
>;

export type BlobEvent = BlobStored | BlobRefused | BlobDestroyed;

const TYPES: Readonly<Record<BlobEvent['type'], true>> = {
  BlobStored: true,
  BlobRefused: true,
  BlobDestroyed: true,
};

export function isBlobEvent(event: { readonly type: string }): event is BlobEvent {
  return Object.hasOwn(TYPES, event.type);
}
