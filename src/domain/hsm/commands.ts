import type { DomainCanary } from '../kek-domain';
import type { Command } from '../message';

export type RegisterHsm = Command<
  'RegisterHsm',
  {
    readonly hsmId: string;
    readonly name: string;
    /** cryptech_muxd socket path or tcp://host:port */
    readonly endpoint: string;
    /** Key slots the replacement policy may fill (docs/architecture.md §4 "Key paging"). */
    readonly capacity: number;
    readonly at: string;
  }
>;

/**
 * The HSM raw-imported the domain's canary blob and reported the public key's SHA-256;
 * `domainCanary` is what the domain stream says it must be (`domainCanary()` of kek-domain).
 */
export type JoinKekDomain = Command<
  'JoinKekDomain',
  {
    readonly hsmId: string;
    readonly kekDomainId: string;
    readonly canaryBlobSha256: string;
    readonly canaryPublicKeySha256: string;
    readonly domainCanary: DomainCanary;
    readonly at: string;
  }
>;

export type ReportTamper = Command<
  'ReportTamper',
  { readonly hsmId: string; readonly detail: string; readonly at: string }
>;

/** The master KEK and keystore were wiped (tamper response, or an operator's zeroize). */
export type RecordZeroized = Command<
  'RecordZeroized',
  { readonly hsmId: string; readonly reason: string; readonly at: string }
>;

export type DecommissionHsm = Command<
  'DecommissionHsm',
  { readonly hsmId: string; readonly reason: string; readonly at: string }
>;

/**
 * The HSM generated an RSA KEKEK for cryptech_backup files (docs/libhal-rpc.md §8, `keyledger
 * backup setup`): KEYENCIPHERMENT|TOKEN, kept until it is deleted, so the ledger knows it as the
 * HSM's own key.
 */
export type RecordBackupKekek = Command<
  'RecordBackupKekek',
  {
    readonly hsmId: string;
    readonly kekekName: string;
    readonly spkiSha256: string;
    readonly bits: number;
    readonly at: string;
  }
>;

export type HsmCommand =
  RegisterHsm | JoinKekDomain | ReportTamper | RecordZeroized | DecommissionHsm | RecordBackupKekek;
