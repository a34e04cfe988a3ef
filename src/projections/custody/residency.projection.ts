/**
 * Residency per HSM: which keys each HSM holds (live, or disabled awaiting deletion), for capacity,
 * reconciliation and zeroization. One doc per HSM id. It applies the domain's residency rule
 * (`residencyChange`), the same one the key's own fold applies, so both always agree.
 */
import { residencyChange, type KeyEvent, type Residency } from '../../domain/key';
import type { Projection } from '../projection';
import { keyIdOf, toDoc } from './key-state';

export type ResidentKey = Residency;

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

export const residencyProjection: Projection = {
  name: 'custody.residency',
  // 2: the domain's residency rule; a zeroization moves keys only through their KeyDeletedFromHsm.
  version: 2,
  handles(event) {
    if (keyIdOf(event) === undefined) return [];
    const change = residencyChange(event as unknown as KeyEvent);
    return change === undefined ? [] : [change.hsmId];
  },
  evolve(doc, event) {
    const keyId = keyIdOf(event)!;
    const change = residencyChange(event as unknown as KeyEvent)!;
    const current = (doc as unknown as ResidencyDoc | undefined) ?? {
      hsmId: change.hsmId,
      keys: {},
      count: 0,
    };
    const before = Object.hasOwn(current.keys, keyId) ? current.keys[keyId] : undefined;
    return toDoc(withKey(current, keyId, change.apply(before)));
  },
};
