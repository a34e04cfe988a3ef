import type { HsmState } from './state';

/** The KEK domain whose blobs this HSM can import (`hsmKekDomainId` on key commands); null if none. */
export function kekDomainOf(state: HsmState): string | null {
  return state.status === 'active' && state.tamper === null ? state.kekDomainId : null;
}
