import { unknownType } from '../errors';
import { withEntry } from '../message';
import type { HsmEvent } from './events';

export type HsmState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'active';
      readonly hsmId: string;
      readonly name: string;
      readonly endpoint: string;
      readonly capacity: number;
      readonly registeredAt: string;
      readonly kekDomainId: string | null;
      readonly joinedAt: string | null;
      /** Set by a tamper report, cleared by zeroization. */
      readonly tamper: { readonly at: string; readonly detail: string } | null;
      readonly zeroizedAt: string | null;
      /** KEKEKs of cryptech_backup files on this HSM, by key name; absent until one is generated. */
      readonly backupKekeks?: Readonly<Record<string, BackupKekek>>;
    }
  | {
      readonly status: 'decommissioned';
      readonly hsmId: string;
      readonly name: string;
      readonly at: string;
      readonly reason: string;
    };

/** A backup KEKEK as recorded (HsmBackupKekekGenerated). */
export type BackupKekek = { readonly spkiSha256: string; readonly bits: number; readonly at: string };

export function initialState(): HsmState {
  return { status: 'absent' };
}

export function evolve(state: HsmState, event: HsmEvent): HsmState {
  switch (event.type) {
    case 'HsmRegistered': {
      const d = event.data;
      return {
        status: 'active',
        hsmId: d.hsmId,
        name: d.name,
        endpoint: d.endpoint,
        capacity: d.capacity,
        registeredAt: d.at,
        kekDomainId: d.kekDomainId,
        joinedAt: d.kekDomainId === null ? null : d.at,
        tamper: null,
        zeroizedAt: null,
      };
    }
    case 'HsmJoinedKekDomain':
      return state.status === 'active'
        ? { ...state, kekDomainId: event.data.kekDomainId, joinedAt: event.data.at }
        : state;
    case 'HsmReportedTamper':
      return state.status === 'active'
        ? { ...state, tamper: { at: event.data.at, detail: event.data.detail } }
        : state;
    case 'HsmZeroized': {
      if (state.status !== 'active') return state;
      // Its keys are gone, backup KEKEKs with them.
      const { backupKekeks: _gone, ...rest } = state;
      return { ...rest, kekDomainId: null, joinedAt: null, tamper: null, zeroizedAt: event.data.at };
    }
    case 'HsmBackupKekekGenerated': {
      if (state.status !== 'active') return state;
      const { kekekName, spkiSha256, bits, at } = event.data;
      return {
        ...state,
        backupKekeks: withEntry(state.backupKekeks ?? {}, kekekName, { spkiSha256, bits, at }),
      };
    }
    case 'HsmDecommissioned':
      return state.status === 'active'
        ? {
            status: 'decommissioned',
            hsmId: state.hsmId,
            name: state.name,
            at: event.data.at,
            reason: event.data.reason,
          }
        : state;
    default:
      return unknownType(event, 'HSM event');
  }
}
