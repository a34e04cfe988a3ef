/**
 * Observed signatures (docs/architecture.md §3 "Observed signatures"): a relying party or a monitor hands in a
 * signature of a hashsig key seen in the wild, and the index log says whether keyledger released it.
 * The handler parses the signature (and verifies it when the message comes with it) and reads the
 * log with `observationHistory`; the decision is here.
 *
 * Rules decided here (pinned by observed.spec.ts):
 * - `released`: the log released this very signature (same path, same SHA-256): nothing is
 *   recorded, the signature is accounted for;
 * - `reused`: the path was released with another signature: the one-time key signed two messages;
 * - `withheld`: the path was used (withheld, or in a batch flagged as reuse) but never released:
 *   a signature keyledger did not hand out is in the wild all the same;
 * - `unlogged`: the path is not in the log at all: made from a copy of the key's state behind
 *   the ledger's back, or forged;
 * - every outcome but `released` is an alarm: `HashsigReuseObserved`, which freezes the key;
 * - idempotent: a signature observed and recorded before is not recorded again (an officer who
 *   unfroze the key after it is not overruled by the same evidence);
 * - bounded: while the key is frozen, at most MAX_OBSERVED_ALARMS alarms are recorded per key
 *   (the key is frozen already; more is only noise); a key that is not frozen always records the
 *   alarm that freezes it.
 */
import { aSha256, aTime } from '../assert';
import { InvalidCommand } from '../errors';
import { abbr } from '../format';
import { checkIndexPath, contains, formatPath, formatRange, type IndexPath } from '../hashsig';
import { lookup } from '../message';
import type { LoggedIndex, ObservationHistory, RecordObservedSignature } from './commands';
import { NotHashsig } from './errors';
import type { KeyEvent } from './events';
import { hashsigCopies } from './queries';
import type { LiveKey, ObservedAlarm } from './state';

/** Alarms recorded per key while it is frozen; beyond them an observation is answered, not recorded. */
export const MAX_OBSERVED_ALARMS = 256;
/** Records of one path `observationHistory` keeps (a sound log has one). */
export const MAX_LOGGED_PER_PATH = 16;

export type ObservedOutcome = 'released' | ObservedAlarm;

export function samePath(a: IndexPath, b: IndexPath): boolean {
  return a.length === b.length && a.every((level, i) => level.q === b[i]!.q && level.I === b[i]!.I);
}

/** What the key's stream holds about `path` and this signature (pure: the handler passes the events). */
export function observationHistory(
  events: readonly KeyEvent[],
  path: IndexPath,
  signatureSha256: string,
): ObservationHistory {
  const logged: LoggedIndex[] = [];
  let observedAt: string | null = null;
  let alarmsRecorded = 0;
  for (const e of events) {
    switch (e.type) {
      case 'HashsigSignaturesReleased':
      case 'HashsigSignaturesWithheld':
      case 'HashsigReuseDetected':
        e.data.indexPaths.forEach((p, i) => {
          if (logged.length < MAX_LOGGED_PER_PATH && samePath(p, path)) {
            logged.push({
              recordedAs: e.type,
              copyId: e.data.copyId,
              hsmId: e.data.hsmId,
              signatureSha256: e.data.signatureSha256s[i]!,
              at: e.data.at,
            });
          }
        });
        break;
      case 'HashsigReuseObserved':
        alarmsRecorded++;
        if (observedAt === null && e.data.signatureSha256 === signatureSha256) observedAt = e.data.at;
        break;
      default:
        break;
    }
  }
  return { logged, observedAt, alarmsRecorded };
}

/** How the index log accounts for a signature at a path with these records. */
export function observedOutcome(logged: readonly LoggedIndex[], signatureSha256: string): ObservedOutcome {
  const released = logged.filter((l) => l.recordedAs === 'HashsigSignaturesReleased');
  if (released.some((l) => l.signatureSha256 === signatureSha256)) return 'released';
  if (released.length > 0) return 'reused';
  return logged.length > 0 ? 'withheld' : 'unlogged';
}

export function recordObservedSignature(state: LiveKey, c: RecordObservedSignature['data']): KeyEvent[] {
  if (state.keyType !== 'hashsig') throw new NotHashsig(state.keyId, state.keyType);
  aSha256('signatureSha256', c.signatureSha256);
  if (c.messageSha256 !== null) aSha256('messageSha256', c.messageSha256);
  checkIndexPath(state.params, c.indexPath, 'indexPath');
  const h = c.history;
  if (
    typeof h !== 'object' ||
    h === null ||
    !Array.isArray(h.logged) ||
    h.logged.length > MAX_LOGGED_PER_PATH ||
    !Number.isInteger(h.alarmsRecorded) ||
    h.alarmsRecorded < 0
  ) {
    throw new InvalidCommand(
      `"history" expected {logged: at most ${MAX_LOGGED_PER_PATH} records, observedAt, alarmsRecorded ≥ 0}`,
    );
  }
  h.logged.forEach((l, i) => aSha256(`history.logged[${i}].signatureSha256`, l.signatureSha256));
  if (h.observedAt !== null) aTime('history.observedAt', h.observedAt);

  const judged = judgeObservation(state, c);
  if (judged.outcome === 'released' || h.observedAt !== null) return [];
  if (state.frozen !== null && h.alarmsRecorded >= MAX_OBSERVED_ALARMS) return [];
  return [
    {
      type: 'HashsigReuseObserved',
      data: {
        keyId: state.keyId,
        copyId: judged.copyId,
        indexPath: c.indexPath,
        signatureSha256: c.signatureSha256,
        messageSha256: c.messageSha256,
        outcome: judged.outcome,
        logged: h.logged,
        detail: judged.detail,
        at: c.at,
      },
    },
  ];
}

export type ObservationJudgement = {
  readonly outcome: ObservedOutcome;
  /** The copy the path belongs to; null when no copy accounts for it. */
  readonly copyId: string | null;
  /** For a person: what the index log says about the signature. */
  readonly detail: string;
};

/** How the index log accounts for an observed signature, recorded or not (the handler answers with it too). */
export function judgeObservation(
  state: LiveKey,
  c: Pick<RecordObservedSignature['data'], 'indexPath' | 'signatureSha256' | 'messageSha256' | 'history'>,
): ObservationJudgement {
  const outcome = observedOutcome(c.history.logged, c.signatureSha256);
  const copyId = c.history.logged[0]?.copyId ?? copyAccountingFor(state, c.indexPath);
  const verified =
    c.messageSha256 === null
      ? ' (not verified: observed without its message)'
      : ' (verified over the message it came with)';
  const detail =
    outcome === 'released'
      ? `signature ${abbr(c.signatureSha256)} is accounted for: ${released(c.history.logged, c.signatureSha256, c.indexPath)}${verified}`
      : `signature ${abbr(c.signatureSha256)} observed in the wild: ${why(state, outcome, c, copyId)}${verified}`;
  return { outcome, copyId, detail };
}

function released(logged: readonly LoggedIndex[], signatureSha256: string, path: IndexPath): string {
  const r = logged.find(
    (l) => l.recordedAs === 'HashsigSignaturesReleased' && l.signatureSha256 === signatureSha256,
  )!;
  return `keyledger released it at index path ${formatPath(path)}, signed by ${r.hsmId} (copy ${r.copyId}) at ${r.at}`;
}

/** The copy whose range holds the path's top leaf, or whose last path hangs from it; else null. */
function copyAccountingFor(state: LiveKey, path: IndexPath): string | null {
  const q0 = path[0]!.q;
  const copies = hashsigCopies(state);
  return (
    copies.find((c) => contains(c.range, q0))?.copyId ??
    copies.find((c) => c.lastPath !== null && c.lastPath[0]!.q === q0)?.copyId ??
    null
  );
}

function why(
  state: LiveKey,
  outcome: ObservedAlarm,
  c: Pick<RecordObservedSignature['data'], 'indexPath' | 'history'>,
  copyId: string | null,
): string {
  const path = formatPath(c.indexPath);
  const logged = c.history.logged;
  switch (outcome) {
    case 'reused': {
      const r = logged.find((l) => l.recordedAs === 'HashsigSignaturesReleased')!;
      return `index path ${path} was released by ${r.hsmId} (copy ${r.copyId}) at ${r.at} as signature ${abbr(r.signatureSha256)}: the one-time key at that index signed twice`;
    }
    case 'withheld': {
      const w = logged[0]!;
      return `index path ${path} was used by ${w.hsmId} (copy ${w.copyId}) at ${w.at}, but keyledger never released its signature (${w.recordedAs})`;
    }
    case 'unlogged': {
      const copy = copyId === null ? undefined : lookup(state.copies, copyId);
      const where =
        copy?.kind === 'hashsig'
          ? ` (copy ${copy.copyId} owns ${formatRange(copy.range)}, last used ${copy.lastPath === null ? 'none' : formatPath(copy.lastPath)})`
          : ' (no copy of the key owns its top-level leaf)';
      return `keyledger never recorded index path ${path}${where}: signed from a copy of the key's state outside the ledger's custody, or forged`;
    }
  }
}
