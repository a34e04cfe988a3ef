import { InvalidCommand } from '../errors';
import type { IndexPath } from '../hashsig';
import { deciderSpec } from '../spec';
import type { LoggedIndex, RecordObservedSignature } from './commands';
import { KeyFrozen, NotHashsig } from './errors';
import type { HashsigReuseObserved, KeyEvent } from './events';
import {
  at,
  hashsigGenerated,
  I0,
  KEY,
  path1,
  rawExported,
  rawExportStarted,
  recordSignatures,
  released,
  rsaGenerated,
  sha,
  sigs,
  startRawExport,
} from './fixtures';
import {
  judgeObservation,
  keyDecider,
  MAX_LOGGED_PER_PATH,
  MAX_OBSERVED_ALARMS,
  observationHistory,
  type LiveKey,
} from './index';
import { evolve } from './evolve';
import { initialState } from './state';

const spec = deciderSpec(keyDecider);
const fold = (events: readonly KeyEvent[]) => events.reduce(evolve, initialState());
const g = hashsigGenerated();
/** Leaves 0 … 3 released on hsm-a at 01:00 with signatures sigs(4) (…01 … …04). */
const upTo3 = released('c0', 'hsm-a', [0, 1, 2, 3].map(path1), 1);
const SIG_AT_2 = sigs(4)[2]!;
const OTHER = sha('ab');
const A = 'aa'.repeat(16);
const B = 'bb'.repeat(16);

/** The command the handler would send for `given`: the history read from the same events. */
const observe = (
  given: readonly KeyEvent[],
  path: IndexPath,
  signatureSha256: string,
  o: { hour?: number; messageSha256?: string | null } = {},
): RecordObservedSignature => ({
  type: 'RecordObservedSignature',
  data: {
    keyId: KEY,
    indexPath: path,
    signatureSha256,
    messageSha256: o.messageSha256 ?? null,
    history: observationHistory(given, path, signatureSha256),
    at: at(o.hour ?? 5),
  },
});

const logged = (
  recordedAs: LoggedIndex['recordedAs'],
  signatureSha256: string,
  hour: number,
  hsmId = 'hsm-a',
): LoggedIndex => ({ recordedAs, copyId: 'c0', hsmId, signatureSha256, at: at(hour) });

const alarm = (
  path: IndexPath,
  signatureSha256: string,
  outcome: HashsigReuseObserved['data']['outcome'],
  records: LoggedIndex[],
  detail: string,
  o: { hour?: number; copyId?: string | null; messageSha256?: string | null } = {},
): HashsigReuseObserved => ({
  type: 'HashsigReuseObserved',
  data: {
    keyId: KEY,
    copyId: o.copyId === undefined ? 'c0' : o.copyId,
    indexPath: path,
    signatureSha256,
    messageSha256: o.messageSha256 ?? null,
    outcome,
    logged: records,
    detail,
    at: at(o.hour ?? 5),
  },
});

const UNVERIFIED = ' (not verified: observed without its message)';

describe('a hashsig key on hsm-a that released leaves 0 … 3', () => {
  const given = [g, upTo3];

  it('records nothing for the very signature it released at leaf 2', () => {
    spec
      .given(given)
      .when(observe(given, path1(2), SIG_AT_2))
      .then([]);
    expect(judgeObservation(fold(given) as LiveKey, observe(given, path1(2), SIG_AT_2).data)).toEqual({
      outcome: 'released',
      copyId: 'c0',
      detail: `signature ${SIG_AT_2.slice(0, 8)}… is accounted for: keyledger released it at index path 2, signed by hsm-a (copy c0) at ${at(1)}${UNVERIFIED}`,
    });
  });

  it('raises a reuse alarm for another signature at leaf 2: the one-time key signed twice', () => {
    spec
      .given(given)
      .when(observe(given, path1(2), OTHER))
      .then([
        alarm(
          path1(2),
          OTHER,
          'reused',
          [logged('HashsigSignaturesReleased', SIG_AT_2, 1)],
          `signature abababab… observed in the wild: index path 2 was released by hsm-a (copy c0) at ${at(1)} as signature ${SIG_AT_2.slice(0, 8)}…: the one-time key at that index signed twice${UNVERIFIED}`,
        ),
      ]);
  });

  it('says so when the signature was verified over its message', () => {
    spec
      .given(given)
      .when(observe(given, path1(2), OTHER, { messageSha256: sha('dd') }))
      .then([
        alarm(
          path1(2),
          OTHER,
          'reused',
          [logged('HashsigSignaturesReleased', SIG_AT_2, 1)],
          `signature abababab… observed in the wild: index path 2 was released by hsm-a (copy c0) at ${at(1)} as signature ${SIG_AT_2.slice(0, 8)}…: the one-time key at that index signed twice (verified over the message it came with)`,
          { messageSha256: sha('dd') },
        ),
      ]);
  });

  it('raises an alarm for leaf 7, which keyledger never used: a copy behind its back, or forged', () => {
    spec
      .given(given)
      .when(observe(given, path1(7), OTHER))
      .then([
        alarm(
          path1(7),
          OTHER,
          'unlogged',
          [],
          `signature abababab… observed in the wild: keyledger never recorded index path 7 (copy c0 owns [0, 32), last used 3): signed from a copy of the key's state outside the ledger's custody, or forged${UNVERIFIED}`,
        ),
      ]);
  });

  it('refuses an index path of another key (other top tree I)', () => {
    spec
      .given(given)
      .when(observe(given, [{ q: 2, I: A }], OTHER))
      .thenThrows(InvalidCommand, 'not a signature of this key');
  });

  it('refuses a malformed signature hash', () => {
    spec
      .given(given)
      .when(observe(given, path1(2), 'not-a-hash'))
      .thenThrows(InvalidCommand, 'signatureSha256');
  });
});

describe('a hashsig key after an observed reuse alarm', () => {
  const first = alarm(
    path1(2),
    OTHER,
    'reused',
    [logged('HashsigSignaturesReleased', SIG_AT_2, 1)],
    'signature abababab… observed in the wild: …',
  );
  const given = [g, upTo3, first];

  it('is frozen by the alarm, the freeze naming the observation', () => {
    expect((fold(given) as LiveKey).frozen).toEqual({
      at: at(5),
      copyId: 'c0',
      rule: 'observed-reused',
      detail: 'signature abababab… observed in the wild: …',
    });
  });

  it('refuses new intents and withholds signatures (the existing freeze)', () => {
    spec
      .given(given)
      .when(startRawExport('op-1', 'hsm-a', 6))
      .thenThrows(KeyFrozen, `key ${KEY} is frozen since ${at(5)}`);
    spec
      .given(given)
      .when(recordSignatures('c0', 'hsm-a', [path1(4)], 6, 4))
      .then([
        {
          type: 'HashsigSignaturesWithheld',
          data: {
            ...released('c0', 'hsm-a', [path1(4)], 6, 4).data,
            reason: 'key-frozen',
            detail: `key ${KEY} is frozen since ${at(5)}: signature abababab… observed in the wild: …`,
          },
        },
      ]);
  });

  it('records the same signature only once (idempotent)', () => {
    spec
      .given(given)
      .when(observe(given, path1(2), OTHER, { hour: 6 }))
      .then([]);
  });

  it('does not record it again after an officer unfroze the key', () => {
    const unfrozen: KeyEvent[] = [
      ...given,
      { type: 'KeyUnfrozen', data: { keyId: KEY, officerId: 'o-1', reason: 'audited', at: at(6) } },
    ];
    spec
      .given(unfrozen)
      .when(observe(unfrozen, path1(2), OTHER, { hour: 7 }))
      .then([]);
  });

  it('records another signature at another leaf while frozen', () => {
    const command = observe(given, path1(9), sha('cd'), { hour: 6 });
    expect(command.data.history.alarmsRecorded).toBe(1);
    spec
      .given(given)
      .when(command)
      .then([
        alarm(
          path1(9),
          sha('cd'),
          'unlogged',
          [],
          `signature cdcdcdcd… observed in the wild: keyledger never recorded index path 9 (copy c0 owns [0, 32), last used 3): signed from a copy of the key's state outside the ledger's custody, or forged${UNVERIFIED}`,
          { hour: 6 },
        ),
      ]);
  });

  it(`records no more than ${MAX_OBSERVED_ALARMS} alarms while frozen, but always the one that freezes`, () => {
    const atCap = (events: KeyEvent[]): RecordObservedSignature => {
      const command = observe(events, path1(9), sha('cd'), { hour: 7 });
      return {
        ...command,
        data: { ...command.data, history: { ...command.data.history, alarmsRecorded: MAX_OBSERVED_ALARMS } },
      };
    };
    spec.given(given).when(atCap(given)).then([]);
    const unfrozen: KeyEvent[] = [
      ...given,
      { type: 'KeyUnfrozen', data: { keyId: KEY, officerId: 'o-1', reason: 'audited', at: at(6) } },
    ];
    const decided = keyDecider.decide(atCap(unfrozen), fold(unfrozen));
    expect(decided.map((e) => e.type)).toEqual(['HashsigReuseObserved']);
  });
});

describe('a hashsig key frozen by a detected reuse, whose leaf 4 was withheld', () => {
  const frozen: KeyEvent = {
    type: 'HashsigReuseDetected',
    data: {
      ...released('c0', 'hsm-a', [path1(3)], 2, 8).data,
      offending: { position: 0, indexPath: path1(3), rule: 'repeated' },
      detail: 'copy c0 signing on hsm-a: index path 3 was already used',
    },
  };
  const withheld: KeyEvent = {
    type: 'HashsigSignaturesWithheld',
    data: {
      ...released('c0', 'hsm-a', [path1(4)], 3, 9).data,
      reason: 'key-frozen',
      detail: '…',
    },
  };
  const given = [g, upTo3, frozen, withheld];
  const WITHHELD_SIG = sigs(1, 9)[0]!;

  it('raises an alarm for the withheld signature itself: keyledger never released it', () => {
    spec
      .given(given)
      .when(observe(given, path1(4), WITHHELD_SIG))
      .then([
        alarm(
          path1(4),
          WITHHELD_SIG,
          'withheld',
          [logged('HashsigSignaturesWithheld', WITHHELD_SIG, 3)],
          `signature ${WITHHELD_SIG.slice(0, 8)}… observed in the wild: index path 4 was used by hsm-a (copy c0) at ${at(3)}, but keyledger never released its signature (HashsigSignaturesWithheld)${UNVERIFIED}`,
        ),
      ]);
  });

  it('counts the index the reuse check flagged as released only where it was released', () => {
    // Leaf 3 was released at 01:00 (…04) and flagged at 02:00 (…09): the released one is accounted for.
    const history = observationHistory(given, path1(3), sigs(4)[3]!);
    expect(history.logged).toEqual([
      logged('HashsigSignaturesReleased', sigs(4)[3]!, 1),
      logged('HashsigReuseDetected', sigs(1, 8)[0]!, 2),
    ]);
    spec
      .given(given)
      .when(observe(given, path1(3), sigs(4)[3]!))
      .then([]);
  });
});

describe('a hashsig key whose copy left leaves 4 … 9 unused (raw-exported with [10, 32))', () => {
  const given = [
    g,
    upTo3,
    rawExportStarted('op-1', 'hsm-a', 2),
    rawExported('op-1', 'hsm-a', sha('b1'), 3, { range: { start: 10, end: 32 } }),
  ];

  it('raises an alarm no copy accounts for', () => {
    spec
      .given(given)
      .when(observe(given, path1(5), OTHER))
      .then([
        alarm(
          path1(5),
          OTHER,
          'unlogged',
          [],
          `signature abababab… observed in the wild: keyledger never recorded index path 5 (no copy of the key owns its top-level leaf): signed from a copy of the key's state outside the ledger's custody, or forged${UNVERIFIED}`,
          { copyId: null },
        ),
      ]);
    const after = fold([...given, keyDecider.decide(observe(given, path1(5), OTHER), fold(given))[0]!]);
    expect((after as LiveKey).frozen).toMatchObject({ copyId: null, rule: 'observed-unlogged' });
  });
});

describe('a two-level (HSS) key whose top leaf 0 signed tree A, bottom leaves 4 and 5 released', () => {
  const g2 = hashsigGenerated('hsm-a', 2);
  const path2 = (q0: number, I1: string, q1: number): IndexPath => [
    { q: q0, I: I0 },
    { q: q1, I: I1 },
  ];
  const given = [g2, released('c0', 'hsm-a', [path2(0, A, 4), path2(0, A, 5)], 1)];

  it('accounts for the released signature at 0/A:5 and alarms at 0/B:5, a second tree under leaf 0', () => {
    spec
      .given(given)
      .when(observe(given, path2(0, A, 5), sigs(2)[1]!))
      .then([]);
    const decided = keyDecider.decide(observe(given, path2(0, B, 5), OTHER), fold(given));
    expect(decided).toEqual([
      expect.objectContaining({
        type: 'HashsigReuseObserved',
        data: expect.objectContaining({ outcome: 'unlogged', copyId: 'c0', logged: [] }),
      }),
    ]);
  });
});

describe('observationHistory', () => {
  it(`keeps at most ${MAX_LOGGED_PER_PATH} records of one path`, () => {
    const many = Array.from({ length: MAX_LOGGED_PER_PATH + 4 }, (_, i) =>
      released('c0', 'hsm-a', [path1(1)], 1, i),
    );
    expect(observationHistory([g, ...many], path1(1), OTHER).logged).toHaveLength(MAX_LOGGED_PER_PATH);
  });
});

describe('an RSA key', () => {
  it('has no index log to observe against', () => {
    const given = [rsaGenerated()];
    spec
      .given(given)
      .when(observe(given, path1(0), OTHER))
      .thenThrows(NotHashsig, `key ${KEY} is an rsa key`);
  });
});
