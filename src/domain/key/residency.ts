/**
 * Where a key is resident, as a rule of one event: the key's own fold (`evolve`) and the read side's
 * per-HSM residency projection both apply it, so there is one derivation of residency (docs/architecture.md §3).
 *
 * A copy arrives on an HSM when it is generated there or imported (raw, transit, or from a
 * cryptech_backup file); a hashsig raw export disables the exporting HSM's copy (the firmware stops
 * signing with it, docs/libhal-rpc.md §9.2) until PKEY_DELETE is recorded; a delete removes it. Nothing else moves residency: a
 * zeroized HSM's keys leave through the KeyDeletedFromHsm events recorded for them.
 */
import type { KeyEvent } from './events';
import type { Residency } from './state';

export interface ResidencyChange {
  readonly hsmId: string;
  /** The residency on `hsmId` after the event, given the one before (undefined: not resident). */
  readonly apply: (previous: Residency | undefined) => Residency | undefined;
}

/** The residency change `event` makes, if any. */
export function residencyChange(event: KeyEvent): ResidencyChange | undefined {
  switch (event.type) {
    case 'KeyGenerated': {
      const e = event.data;
      return arrival(e.hsmId, e.hsmName, e.copyId, e.at);
    }
    case 'KeyRawImported': {
      const e = event.data;
      return arrival(e.hsmId, e.hsmName, e.copyId, e.at);
    }
    case 'KeyTransitImported': {
      const e = event.data;
      return arrival(e.toHsm, e.hsmName, e.copyId, e.at);
    }
    case 'KeyBackupImported': {
      const e = event.data;
      return arrival(e.hsmId, e.hsmName, e.copyId, e.at);
    }
    case 'KeyRawExported': {
      const e = event.data;
      // Only a hashsig export (it carries the exported range) disables the HSM's copy.
      if (e.range === null) return undefined;
      const disabledBy = { blobSha256: e.blobSha256, at: e.at };
      return {
        hsmId: e.hsmId,
        apply: (previous) =>
          previous === undefined ? undefined : { ...previous, status: 'disabled', disabledBy },
      };
    }
    case 'KeyDeletedFromHsm':
      return { hsmId: event.data.hsmId, apply: () => undefined };
    default:
      return undefined;
  }
}

function arrival(hsmId: string, hsmKeyName: string, copyId: string, since: string): ResidencyChange {
  const entry: Residency = { hsmId, hsmKeyName, copyId, since, status: 'live', disabledBy: null };
  return { hsmId, apply: () => entry };
}
