/**
 * Hashsig state: one doc per hashsig key with signatures released, indices used, what remains,
 * each copy's range and holder, and every reuse alarm (docs/architecture.md §3 "Observed state"). RSA/EC keys
 * get no doc.
 */
import type { RecordedEvent } from '../../event-store/event-store';
import { describeHolder, hashsigCopies, hashsigUsage, nextTop, type KeyState } from '../../domain/key';
import type { Projection } from '../projection';
import { keyIdOf, nextKeyState, toDoc } from './key-state';

/** A reuse the index log detected, or one an observed signature revealed (`rule` observed-…, `copyId` may be null). */
export interface ReuseAlarm {
  readonly at: string;
  readonly position: number;
  readonly copyId: string | null;
  readonly rule: string;
  readonly detail: string;
}

export interface HashsigStateDoc {
  readonly keyId: string;
  readonly destroyed: boolean;
  readonly frozen: boolean;
  readonly signatures: number;
  /** Indices used (released and withheld alike: a withheld index is spent too). */
  readonly indicesUsed: number;
  readonly lastIndex: number | null;
  readonly remaining: number;
  readonly remainingTopLeaves: number;
  readonly copies: readonly {
    copyId: string;
    range: { start: number; end: number };
    nextTop: number;
    holder: string;
    released: number;
  }[];
  readonly reuseAlarms: readonly ReuseAlarm[];
  readonly custody: KeyState;
}

function summarise(
  custody: KeyState,
  event: RecordedEvent,
  previous: HashsigStateDoc | undefined,
): HashsigStateDoc {
  const alarms = [...(previous?.reuseAlarms ?? [])];
  if (event.type === 'HashsigReuseDetected') {
    const d = event.data as { at: string; copyId: string; offending: { rule: string }; detail: string };
    alarms.push({
      at: d.at,
      position: event.position,
      copyId: d.copyId,
      rule: d.offending.rule,
      detail: d.detail,
    });
  }
  if (event.type === 'HashsigReuseObserved') {
    const d = event.data as { at: string; copyId: string | null; outcome: string; detail: string };
    alarms.push({
      at: d.at,
      position: event.position,
      copyId: d.copyId,
      rule: `observed-${d.outcome}`,
      detail: d.detail,
    });
  }
  if (custody.status !== 'live') {
    return {
      ...(previous as HashsigStateDoc),
      destroyed: true,
      remaining: 0,
      remainingTopLeaves: 0,
      copies: [],
      reuseAlarms: alarms,
      custody,
    };
  }
  const usage = hashsigUsage(custody)!;
  return {
    keyId: custody.keyId,
    destroyed: false,
    frozen: custody.frozen !== null,
    signatures: usage.signatures,
    indicesUsed: usage.signatures + usage.withheld,
    lastIndex: usage.lastIndex,
    remaining: usage.remaining,
    remainingTopLeaves: usage.remainingTopLeaves,
    copies: hashsigCopies(custody).map((c) => ({
      copyId: c.copyId,
      range: { start: c.range.start, end: c.range.end },
      nextTop: nextTop(c),
      holder: describeHolder(c.holder),
      released: c.released,
    })),
    reuseAlarms: alarms,
    custody,
  };
}

export const hashsigStateProjection: Projection = {
  name: 'custody.hashsig-state',
  version: 1,
  handles(event) {
    const keyId = keyIdOf(event);
    if (keyId === undefined) return [];
    if (event.type === 'KeyGenerated' && event.data.keyType !== 'hashsig') return [];
    return [keyId];
  },
  evolve(doc, event) {
    // Not a hashsig key (no doc from its KeyGenerated): nothing to keep.
    if (doc === undefined && event.type !== 'KeyGenerated') return undefined;
    const previous = doc as unknown as HashsigStateDoc | undefined;
    const custody = nextKeyState(previous === undefined ? undefined : toDoc(previous.custody), event);
    return toDoc(summarise(custody, event, previous));
  },
};
