import type { Command } from '../message';

/**
 * The founding HSM generated the canary (a small exportable key) and raw-exported it; the app
 * hashes the public key and the blob. The founder is a member by construction.
 */
export type CreateKekDomain = Command<
  'CreateKekDomain',
  {
    readonly kekDomainId: string;
    readonly name: string;
    readonly canaryKeyId: string;
    /** base64 SPKI */
    readonly canaryPublicKey: string;
    readonly canaryPublicKeySha256: string;
    readonly canaryBlobSha256: string;
    readonly foundingHsmId: string;
    readonly at: string;
  }
>;

/**
 * The proof of membership (docs/architecture.md §4 "prove the KEK domain with the domain's canary blob"): the
 * HSM raw-imported the canary blob — which only unwraps under the domain's master KEK — and
 * reported this public key for it.
 */
export type AdmitKekDomainMember = Command<
  'AdmitKekDomainMember',
  {
    readonly kekDomainId: string;
    readonly hsmId: string;
    readonly canaryBlobSha256: string;
    /** base64 SPKI the HSM returned for the imported canary */
    readonly observedPublicKey: string;
    readonly observedPublicKeySha256: string;
    readonly at: string;
  }
>;

/** The HSM lost the domain's KEK (zeroized, tampered, decommissioned). */
export type RemoveKekDomainMember = Command<
  'RemoveKekDomainMember',
  { readonly kekDomainId: string; readonly hsmId: string; readonly reason: string; readonly at: string }
>;

export type RetireKekDomain = Command<
  'RetireKekDomain',
  { readonly kekDomainId: string; readonly reason: string; readonly at: string }
>;

export type KekDomainCommand =
  CreateKekDomain | AdmitKekDomainMember | RemoveKekDomainMember | RetireKekDomain;
