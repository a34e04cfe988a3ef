/**
 * Residency per HSM: which keys each HSM holds (live or disabled awaiting deletion), for capacity
 * and reconciliation. One doc per HSM id; the doc stays while the HSM is registered.
 */
import type { RecordedEvent } from '../../event-store/event-store';
import type { Projection } from '../projection';
import { keyIdOf, toDoc } from './key-state';

export interface ResidentKey {
  readonly hsmKeyName: string;
  readonly copyId: string;
  readonly status: 'live' | 'disabled';
  readonly since: string;
}

export interface ResidencyDoc {
  readonly hsmId: string;
  readonly keys: Readonly<Record<string, ResidentKey>>;
  /** Keys counting against the HSM's capacity (live and disabled alike: both take a slot). */
  readonly count: number;
}

function withKey(doc: ResidencyDoc, keyId: string, entry: ResidentKey | undefined): ResidencyDoc {
  const keys: Record<string, ResidentKey> = { ...doc.keys };
  if (entry === undefined) delete keys[keyId];
  else
    Object.defineProperty(keys, keyId, {
      value: entry,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return { hsmId: doc.hsmId, keys, count: Object.keys(keys).length };
}

/** The HSM an event changes the residency of, if any. */
function hsmOf(event: RecordedEvent): string | undefined {
  const d = event.data;
  switch (event.type) {
    case 'KeyGenerated':
    case 'KeyRawImported':
    case 'KeyDeletedFromHsm':
    case 'HsmZeroized':
      return d.hsmId as string;
    case 'KeyRawExported':
      // Only a hashsig export (range set) changes residency: the HSM's copy is disabled.
      return d.range === null ? undefined : (d.hsmId as string);
    case 'KeyTransitImported':
      return d.toHsm as string;
    default:
      return undefined;
  }
}

export const residencyProjection: Projection = {
  name: 'custody.residency',
  version: 1,
  handles(event) {
    if (event.type !== 'HsmZeroized' && keyIdOf(event) === undefined) return [];
    const hsmId = hsmOf(event);
    return hsmId === undefined ? [] : [hsmId];
  },
  evolve(doc, event) {
    const d = event.data;
    const hsmId = hsmOf(event)!;
    const current = (doc as unknown as ResidencyDoc | undefined) ?? { hsmId, keys: {}, count: 0 };
    if (event.type === 'HsmZeroized') return toDoc({ hsmId, keys: {}, count: 0 });
    const keyId = keyIdOf(event)!;
    const at = d.at as string;
    switch (event.type) {
      case 'KeyGenerated':
      case 'KeyRawImported':
      case 'KeyTransitImported':
        return toDoc(
          withKey(current, keyId, {
            hsmKeyName: d.hsmName as string,
            copyId: d.copyId as string,
            status: 'live',
            since: at,
          }),
        );
      case 'KeyRawExported': {
        const entry = Object.hasOwn(current.keys, keyId) ? current.keys[keyId] : undefined;
        return entry === undefined
          ? toDoc(current)
          : toDoc(withKey(current, keyId, { ...entry, status: 'disabled' }));
      }
      case 'KeyDeletedFromHsm':
        return toDoc(withKey(current, keyId, undefined));
      default:
        return toDoc(current);
    }
  },
};
