import type { Event } from '../message';

/** `kekDomainId` is always null when decided here: membership is only ever proven by canary (HsmJoinedKekDomain). */
export type HsmRegistered = Event<
  'HsmRegistered',
  {
    readonly hsmId: string;
    readonly name: string;
    readonly endpoint: string;
    readonly kekDomainId: string | null;
    readonly capacity: number;
    readonly at: string;
  }
>;

/** The canary proof: which blob was imported and the SHA-256 of the public key it yielded. */
export type HsmJoinedKekDomain = Event<
  'HsmJoinedKekDomain',
  {
    readonly hsmId: string;
    readonly kekDomainId: string;
    readonly canaryBlobSha256: string;
    readonly canaryPublicKeySha256: string;
    readonly at: string;
  }
>;

export type HsmReportedTamper = Event<
  'HsmReportedTamper',
  { readonly hsmId: string; readonly detail: string; readonly at: string }
>;

/** Leaves its KEK domain: it must rejoin by canary after the KEK is re-entered (docs/architecture.md §4). */
export type HsmZeroized = Event<
  'HsmZeroized',
  {
    readonly hsmId: string;
    readonly leftKekDomainId: string | null;
    readonly reason: string;
    readonly at: string;
  }
>;

export type HsmDecommissioned = Event<
  'HsmDecommissioned',
  { readonly hsmId: string; readonly reason: string; readonly at: string }
>;

/** A KEKEK for cryptech_backup files now lives on the HSM (docs/libhal-rpc.md §8). */
export type HsmBackupKekekGenerated = Event<
  'HsmBackupKekekGenerated',
  {
    readonly hsmId: string;
    readonly kekekName: string;
    readonly spkiSha256: string;
    readonly bits: number;
    readonly at: string;
  }
>;

export type HsmEvent =
  | HsmRegistered
  | HsmJoinedKekDomain
  | HsmReportedTamper
  | HsmZeroized
  | HsmDecommissioned
  | HsmBackupKekekGenerated;

const TYPES: Readonly<Record<HsmEvent['type'], true>> = {
  HsmRegistered: true,
  HsmJoinedKekDomain: true,
  HsmReportedTamper: true,
  HsmZeroized: true,
  HsmDecommissioned: true,
  HsmBackupKekekGenerated: true,
};

export function isHsmEvent(event: { readonly type: string }): event is HsmEvent {
  return Object.hasOwn(TYPES, event.type);
}
