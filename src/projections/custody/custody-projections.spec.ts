import type { JsonObject, RecordedEvent } from '../../event-store/event-store';
import {
  KEY,
  at,
  deletedFromHsm,
  hashsigGenerated,
  path1,
  rawExportStarted,
  rawExported,
  rawImportStarted,
  rawImported,
  released,
  rsaGenerated,
  sha,
} from '../../domain/key/fixtures';
import { foldEvents, type Doc } from '../projection';
import {
  CUSTODY_PROJECTIONS,
  blobCurrencyProjection,
  hashsigStateProjection,
  hsmCatalogProjection,
  kekDomainCatalogProjection,
  keyCatalogProjection,
  residencyProjection,
  type BlobCurrencyDoc,
  type HsmCatalogDoc,
  type KekDomainCatalogDoc,
  type HashsigStateDoc,
  type KeyCatalogDoc,
  type ResidencyDoc,
} from '.';

const RSA_KEY = '7c1d2e3f-0000-4000-8000-00000000000a';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** Numbers events as the store would: global position, per-stream revision. */
function recordAll(events: readonly { stream: string; type: string; data: object }[]): RecordedEvent[] {
  const revisions = new Map<string, number>();
  return events.map((e, i) => {
    const revision = revisions.get(e.stream) ?? 0;
    revisions.set(e.stream, revision + 1);
    return deepFreeze({
      id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
      streamName: e.stream,
      revision,
      position: i + 1,
      type: e.type,
      data: e.data as JsonObject,
      metadata: {},
      recordedAt: at(23),
    });
  });
}

const keyStream = (keyId: string) => `key-${keyId}`;
const onKey = (keyId: string) => (e: { type: string; data: object }) => ({ stream: keyStream(keyId), ...e });
const withKeyId = <E extends { type: string; data: object }>(e: E, keyId: string): E => ({
  ...e,
  data: { ...e.data, keyId },
});
const hs = onKey(KEY);
const rsa = (e: { type: string; data: object }) => ({ stream: keyStream(RSA_KEY), ...withKeyId(e, RSA_KEY) });
const blobStored = (sha256: string, keyId: string, hour: number) => ({
  stream: `blob-${sha256}`,
  type: 'BlobStored',
  data: { sha256, keyId, bytesBase64: 'AAEC', kind: 'raw', at: at(hour) },
});

const A = sha('aa');
const B = sha('bb');
const C = sha('cc');
const D = sha('dd');

/**
 * A hashsig key: generated on hsm-a, two signatures, raw-exported to blob A, deleted from hsm-a,
 * imported on hsm-b, one more signature, exported again to B. An RSA key: generated on hsm-a,
 * exported to C, imported on hsm-b, exported again to D (C superseded); hsm-a is then zeroized and
 * the RSA key's residency there recorded deleted.
 */
const registered = (hsmId: string) => ({
  stream: `hsm-${hsmId}`,
  type: 'HsmRegistered',
  data: {
    hsmId,
    name: `${hsmId}-name`,
    endpoint: `unix:/run/${hsmId}.sock`,
    kekDomainId: null,
    capacity: 100,
    at: at(1),
  },
});
const joined = (hsmId: string) => [
  {
    stream: `hsm-${hsmId}`,
    type: 'HsmJoinedKekDomain',
    data: { hsmId, kekDomainId: 'kd-1', canaryBlobSha256: C, canaryPublicKeySha256: D, at: at(1) },
  },
  ...(hsmId === 'hsm-a'
    ? [
        {
          stream: 'kekdomain-kd-1',
          type: 'KekDomainCreated',
          data: {
            kekDomainId: 'kd-1',
            name: 'domain-1',
            canaryKeyId: 'canary',
            canaryPublicKey: 'AAEC',
            canaryPublicKeySha256: D,
            canaryBlobSha256: C,
            foundingHsmId: hsmId,
            at: at(1),
          },
        },
      ]
    : [
        {
          stream: 'kekdomain-kd-1',
          type: 'KekDomainMemberJoined',
          data: { kekDomainId: 'kd-1', hsmId, canaryBlobSha256: C, canaryPublicKeySha256: D, at: at(1) },
        },
      ]),
];

const history = recordAll([
  registered('hsm-a'),
  registered('hsm-b'),
  ...joined('hsm-a'),
  ...joined('hsm-b'),
  hs(hashsigGenerated('hsm-a')),
  hs(released('c0', 'hsm-a', [path1(0), path1(1)], 1)),
  hs(rawExportStarted('op1', 'hsm-a', 2)),
  blobStored(A, KEY, 2),
  hs(rawExported('op1', 'hsm-a', A, 2, { range: { start: 2, end: 32 } })),
  hs(deletedFromHsm('hsm-a', 3)),
  hs(rawImportStarted('op2', 'hsm-b', A, 4)),
  hs(rawImported('op2', 'hsm-b', A, 4)),
  hs(released('c0', 'hsm-b', [path1(2)], 5, 2)),
  hs(rawExportStarted('op3', 'hsm-b', 6)),
  blobStored(B, KEY, 6),
  hs(rawExported('op3', 'hsm-b', B, 6, { range: { start: 3, end: 32 } })),
  rsa(rsaGenerated('hsm-a')),
  rsa(rawExportStarted('op4', 'hsm-a', 7)),
  blobStored(C, RSA_KEY, 7),
  rsa(rawExported('op4', 'hsm-a', C, 7)),
  rsa(rawImportStarted('op5', 'hsm-b', C, 8)),
  rsa(rawImported('op5', 'hsm-b', C, 8)),
  rsa(rawExportStarted('op6', 'hsm-b', 9)),
  blobStored(D, RSA_KEY, 9),
  rsa(rawExported('op6', 'hsm-b', D, 9, { supersedes: [C] })),
  {
    stream: 'hsm-hsm-a',
    type: 'HsmZeroized',
    data: { hsmId: 'hsm-a', leftKekDomainId: 'kd-1', reason: 'drill', at: at(10) },
  },
  {
    stream: 'kekdomain-kd-1',
    type: 'KekDomainMemberLeft',
    data: { kekDomainId: 'kd-1', hsmId: 'hsm-a', reason: 'drill', at: at(10) },
  },
  // What the service records for every key resident on a zeroized HSM.
  rsa(deletedFromHsm('hsm-a', 10, { reason: 'hsm-a zeroized' })),
]);

const fold = (projection: (typeof CUSTODY_PROJECTIONS)[number]) => foldEvents(projection, history);
const as = <T>(doc: Doc | undefined): T => doc as unknown as T;

describe('custody projections', () => {
  it.each(CUSTODY_PROJECTIONS.map((p) => [p.name, p] as const))(
    '%s: replaying the ledger twice gives the same model',
    (_name, projection) => {
      const first = foldEvents(projection, history);
      const second = foldEvents(projection, history);
      expect(second).toEqual(first);
      // What the read-model file stores: JSON text.
      expect(JSON.parse(JSON.stringify(Object.fromEntries(first)))).toEqual(Object.fromEntries(first));
    },
  );

  it.each(CUSTODY_PROJECTIONS.map((p) => [p.name, p] as const))(
    '%s: a replay split at every position gives the same model',
    (_name, projection) => {
      const whole = foldEvents(projection, history);
      for (let cut = 1; cut < history.length; cut++) {
        const docs = foldEvents(projection, history.slice(0, cut));
        // The runner reloads docs from JSON between batches.
        const reloaded = new Map([...docs].map(([id, doc]) => [id, JSON.parse(JSON.stringify(doc)) as Doc]));
        expect(foldEvents(projection, history.slice(cut), reloaded)).toEqual(whole);
      }
    },
  );

  describe('key catalog', () => {
    const docs = fold(keyCatalogProjection);

    it('shows the hashsig key held by blob B, its current blob, and every blob status', () => {
      const doc = as<KeyCatalogDoc>(docs.get(KEY));
      expect(doc).toEqual(
        expect.objectContaining({
          keyId: KEY,
          type: 'hashsig',
          state: 'active',
          currentBlob: B,
          holders: [{ kind: 'blob', copyId: 'c0', blobSha256: B, since: at(6) }],
          lastEventType: 'KeyRawExported',
        }),
      );
      expect(doc.blobs).toEqual([
        { sha256: A, status: 'consumed', copyId: 'c0', kind: 'raw' },
        { sha256: B, status: 'current', copyId: 'c0', kind: 'raw' },
      ]);
    });

    it('shows the RSA key resident on hsm-b with blob D current', () => {
      const doc = as<KeyCatalogDoc>(docs.get(RSA_KEY));
      expect(doc.currentBlob).toBe(D);
      expect(doc.holders.map((h) => h.hsmId ?? h.blobSha256)).toEqual(['hsm-b', D]);
    });
  });

  describe('HSM catalog', () => {
    const docs = fold(hsmCatalogProjection);
    it('keeps each registration and folds the HSM state: hsm-a left its KEK domain when zeroized', () => {
      expect(as<HsmCatalogDoc>(docs.get('hsm-a'))).toEqual({
        hsmId: 'hsm-a',
        registered: registered('hsm-a').data,
        state: expect.objectContaining({
          status: 'active',
          name: 'hsm-a-name',
          kekDomainId: null,
          zeroizedAt: at(10),
        }),
      });
      expect(as<HsmCatalogDoc>(docs.get('hsm-b')).state).toEqual(
        expect.objectContaining({ status: 'active', kekDomainId: 'kd-1', zeroizedAt: null }),
      );
    });
  });

  describe('KEK domain catalog', () => {
    it('lists the members left after hsm-a was zeroized', () => {
      const doc = as<KekDomainCatalogDoc>(fold(kekDomainCatalogProjection).get('kd-1'));
      expect(doc.state).toEqual(
        expect.objectContaining({ status: 'active', name: 'domain-1', foundingHsmId: 'hsm-a' }),
      );
      expect(doc.state.status !== 'absent' && Object.keys(doc.state.members)).toEqual(['hsm-b']);
    });
  });

  describe('residency', () => {
    const docs = fold(residencyProjection);

    it('agrees with every key fold: each HSM holds exactly the keys whose own state places them there', () => {
      const catalog = fold(keyCatalogProjection);
      for (const hsmId of ['hsm-a', 'hsm-b']) {
        const fromKeys = Object.fromEntries(
          [...catalog.values()].flatMap((d) => {
            const custody = as<KeyCatalogDoc>(d).custody;
            const r = custody.status === 'live' ? custody.residency[hsmId] : undefined;
            return r === undefined || custody.status !== 'live' ? [] : [[custody.keyId, r]];
          }),
        );
        expect(as<ResidencyDoc>(docs.get(hsmId)).keys).toEqual(fromKeys);
      }
    });

    it('empties a zeroized HSM once its keys are recorded deleted, and counts the disabled hashsig copy on hsm-b', () => {
      expect(as<ResidencyDoc>(docs.get('hsm-a'))).toEqual({ hsmId: 'hsm-a', keys: {}, count: 0 });
      const b = as<ResidencyDoc>(docs.get('hsm-b'));
      expect(b.count).toBe(2);
      expect(b.keys[KEY]).toEqual(expect.objectContaining({ status: 'disabled', copyId: 'c0' }));
      expect(b.keys[RSA_KEY]).toEqual(expect.objectContaining({ status: 'live' }));
    });
  });

  describe('blob currency', () => {
    const docs = fold(blobCurrencyProjection);

    it.each([
      [A, KEY, 'consumed', true],
      [B, KEY, 'current', true],
      [C, RSA_KEY, 'superseded', false],
      [D, RSA_KEY, 'current', false],
    ])('blob %s of key %s is %s', (sha256, keyId, status, hashsig) => {
      expect(as<BlobCurrencyDoc>(docs.get(sha256))).toEqual(
        expect.objectContaining({ sha256, keyId, status, hashsig, stored: true }),
      );
    });

    it('records who consumed a hashsig blob and what superseded an RSA blob', () => {
      expect(as<BlobCurrencyDoc>(docs.get(A)).consumedBy).toBe('hsm-b');
      expect(as<BlobCurrencyDoc>(docs.get(C)).supersededBy).toBe(D);
    });

    it('counts refusals of a handed-in blob', () => {
      const refused = recordAll([
        {
          stream: `blob-${A}`,
          type: 'BlobRefused',
          data: {
            sha256: A,
            keyId: KEY,
            reason: 'consumed',
            presentedBy: 'op',
            currentBlobSha256: B,
            currentHolder: 'blob',
            at: at(11),
          },
        },
      ]).map((e) => ({ ...e, position: history.length + 1 }));
      const doc = as<BlobCurrencyDoc>(foldEvents(blobCurrencyProjection, refused, new Map(docs)).get(A));
      expect(doc).toEqual(
        expect.objectContaining({ status: 'consumed', refusals: 1, lastRefusal: 'consumed' }),
      );
    });
  });

  describe('hashsig state', () => {
    const docs = fold(hashsigStateProjection);

    it('keeps a doc for the hashsig key only', () => {
      expect([...docs.keys()]).toEqual([KEY]);
    });

    it('counts signatures and indices used, the last index and what remains', () => {
      const doc = as<HashsigStateDoc>(docs.get(KEY));
      expect(doc).toEqual(
        expect.objectContaining({
          signatures: 3,
          indicesUsed: 3,
          lastIndex: 2,
          remainingTopLeaves: 29,
          remaining: 29,
          frozen: false,
          reuseAlarms: [],
        }),
      );
      expect(doc.copies).toEqual([
        expect.objectContaining({ copyId: 'c0', range: { start: 3, end: 32 }, nextTop: 3 }),
      ]);
    });

    it('raises a reuse alarm and marks the key frozen', () => {
      const reuse = recordAll([
        ...history.map((e) => ({ stream: e.streamName, type: e.type, data: e.data })),
        hs({
          type: 'HashsigReuseDetected',
          data: {
            keyId: KEY,
            copyId: 'c0',
            hsmId: 'hsm-b',
            indexPaths: [path1(1)],
            signatureSha256s: [sha('01')],
            offending: { position: 0, indexPath: path1(1), rule: 'not-increasing' },
            detail: 'index 1 is below what copy c0 has passed (3)',
            at: at(12),
          },
        }),
      ]);
      const doc = as<HashsigStateDoc>(foldEvents(hashsigStateProjection, reuse).get(KEY));
      expect(doc.frozen).toBe(true);
      expect(doc.reuseAlarms).toEqual([
        {
          at: at(12),
          position: reuse.length,
          copyId: 'c0',
          rule: 'not-increasing',
          detail: 'index 1 is below what copy c0 has passed (3)',
        },
      ]);
    });

    it('raises an alarm for an observed signature the index log does not account for', () => {
      const observed = recordAll([
        ...history.map((e) => ({ stream: e.streamName, type: e.type, data: e.data })),
        hs({
          type: 'HashsigReuseObserved',
          data: {
            keyId: KEY,
            copyId: null,
            indexPath: path1(1),
            signatureSha256: sha('0f'),
            messageSha256: null,
            outcome: 'unlogged',
            logged: [],
            detail: 'signature 0f0f0f0f… observed in the wild: keyledger never recorded index path 1',
            at: at(12),
          },
        }),
      ]);
      const doc = as<HashsigStateDoc>(foldEvents(hashsigStateProjection, observed).get(KEY));
      expect(doc.frozen).toBe(true);
      expect(doc.indicesUsed).toBe(3);
      expect(doc.reuseAlarms).toEqual([
        {
          at: at(12),
          position: observed.length,
          copyId: null,
          rule: 'observed-unlogged',
          detail: 'signature 0f0f0f0f… observed in the wild: keyledger never recorded index path 1',
        },
      ]);
    });
  });
});
