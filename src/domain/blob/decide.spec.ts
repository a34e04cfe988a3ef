import { InvalidCommand } from '../errors';
import { blobVerdict, type KeyCommand, keyDecider, type KeyState } from '../key';
import { deciderSpec } from '../spec';
import type { DestroyBlob, PresentBlob, StoreBlob } from './commands';
import { BlobIsDestroyed, BlobMismatch } from './errors';
import type { BlobDestroyed, BlobEvent, BlobRefused, BlobStored } from './events';
import { blobDecider, MAX_BLOB_BASE64, storedBlobFact } from './index';
import { evolve, initialState } from './state';

const spec = deciderSpec(blobDecider);
const KEY = '5b0c9a4e-7d1f-4c2a-9e3b-1a2b3c4d5e6f';
const B1 = 'b1'.repeat(32);
const B2 = 'b2'.repeat(32);
const T = '2026-03-01T10:00:00.000Z';
const BYTES = 'pqbwuGf1mcE4w2Jk8wqd9w==';

const store = (over: Partial<StoreBlob['data']> = {}): StoreBlob => ({
  type: 'StoreBlob',
  data: { sha256: B1, keyId: KEY, bytesBase64: BYTES, kind: 'raw', at: T, ...over },
});
const stored: BlobStored = {
  type: 'BlobStored',
  data: { sha256: B1, keyId: KEY, bytesBase64: BYTES, kind: 'raw', at: T },
};

const T2 = '2026-03-02T09:00:00.000Z';
const destroy = (over: Partial<DestroyBlob['data']> = {}): DestroyBlob => ({
  type: 'DestroyBlob',
  data: { sha256: B1, keyId: KEY, reason: 'destroyed by operator', at: T2, ...over },
});
const destroyed: BlobDestroyed = {
  type: 'BlobDestroyed',
  data: { sha256: B1, keyId: KEY, reason: 'destroyed by operator', at: T2 },
};

/** A hashsig key driven through the key decider: B1 exported, imported on hsm-b, re-exported as B2. */
function keyWithB1SupersededByB2(): KeyState {
  const at = (h: number) => `2026-03-01T0${h}:00:00.000Z`;
  const commands: KeyCommand[] = [
    {
      type: 'RecordGeneratedKey',
      data: {
        keyId: KEY,
        hsmId: 'hsm-a',
        hsmName: 'aa000000-0000-4000-8000-000000000001',
        flags: 0x29,
        publicKey: 'AQID',
        attributes: {},
        copyId: 'c0',
        at: at(0),
        keyType: 'hashsig',
        params: { levels: 1, lmsType: 5, lmotsType: 3, I: '10'.repeat(16) },
      },
    },
    {
      type: 'StartRawExport',
      data: { keyId: KEY, opId: 'op-1', hsmId: 'hsm-a', hsmKekDomainId: 'kd-1', at: at(1) },
    },
    {
      type: 'CompleteRawExport',
      data: {
        keyId: KEY,
        opId: 'op-1',
        blobSha256: B1,
        kekDomainId: 'kd-1',
        storedBlob: { sha256: B1, keyId: KEY, kind: 'raw' },
        at: at(2),
      },
    },
    { type: 'RecordDeletedFromHsm', data: { keyId: KEY, hsmId: 'hsm-a', reason: 'raw-exported', at: at(3) } },
    {
      type: 'StartRawImport',
      data: { keyId: KEY, opId: 'op-2', hsmId: 'hsm-b', blobSha256: B1, hsmKekDomainId: 'kd-1', at: at(4) },
    },
    {
      type: 'CompleteRawImport',
      data: { keyId: KEY, opId: 'op-2', hsmKeyName: 'bb000000-0000-4000-8000-000000000001', at: at(5) },
    },
    {
      type: 'StartRawExport',
      data: { keyId: KEY, opId: 'op-3', hsmId: 'hsm-b', hsmKekDomainId: 'kd-1', at: at(6) },
    },
    {
      type: 'CompleteRawExport',
      data: {
        keyId: KEY,
        opId: 'op-3',
        blobSha256: B2,
        kekDomainId: 'kd-1',
        storedBlob: { sha256: B2, keyId: KEY, kind: 'raw' },
        at: at(7),
      },
    },
  ];
  return commands.reduce(
    (state, command) => keyDecider.decide(command, state).reduce(keyDecider.evolve, state),
    keyDecider.initialState(),
  );
}

const present = (verdict: PresentBlob['data']['verdict'], keyId: string | null = KEY): PresentBlob => ({
  type: 'PresentBlob',
  data: { sha256: B1, keyId, presentedBy: 'operator alice (backup file 2026-02.json)', verdict, at: T },
});

describe('an empty blob stream', () => {
  it('stores the wrapped bytes', () => {
    spec.given([]).when(store()).then([stored]);
  });

  it('refuses bytes beyond the bound', () => {
    spec
      .given([])
      .when(store({ bytesBase64: 'A'.repeat(MAX_BLOB_BASE64 + 4) }))
      .thenThrows(InvalidCommand, `"bytesBase64" expected at most ${MAX_BLOB_BASE64} characters`);
  });

  it('records the refusal of a blob no key claims', () => {
    spec
      .given([])
      .when(
        present(
          {
            accepted: false,
            reason: `blob b1b1b1b1… belongs to no key in the ledger`,
            currentBlobSha256: null,
            currentHolder: null,
          },
          null,
        ),
      )
      .then([
        {
          type: 'BlobRefused',
          data: {
            sha256: B1,
            keyId: null,
            reason: 'blob b1b1b1b1… belongs to no key in the ledger',
            presentedBy: 'operator alice (backup file 2026-02.json)',
            currentBlobSha256: null,
            currentHolder: null,
            at: T,
          },
        },
      ]);
  });
});

describe('a stored blob', () => {
  it('records nothing when the same bytes are stored again (a retried export)', () => {
    spec.given([stored]).when(store()).then([]);
  });

  it('refuses other bytes under the same hash', () => {
    spec
      .given([stored])
      .when(store({ bytesBase64: 'AAAA' }))
      .thenThrows(BlobMismatch, 'blob b1b1b1b1… is already stored with other bytes');
  });

  it('refuses the same hash for another key', () => {
    spec
      .given([stored])
      .when(store({ keyId: 'other-key' }))
      .thenThrows(BlobMismatch, `for key ${KEY}, not other-key`);
  });

  it('gives the fact CompleteRawExport needs', () => {
    const fold = (events: BlobEvent[]) => events.reduce(evolve, initialState());
    expect(storedBlobFact(fold([stored]))).toEqual({ sha256: B1, keyId: KEY, kind: 'raw' });
    expect(storedBlobFact(fold([]))).toBeNull();
  });
});

describe('a stored hashsig blob B1 that B2 has superseded', () => {
  it('refuses B1 presented from outside, saying which blob is current', () => {
    const verdict = blobVerdict(keyWithB1SupersededByB2(), B1);
    const refused: BlobRefused = {
      type: 'BlobRefused',
      data: {
        sha256: B1,
        keyId: KEY,
        reason: `blob b1b1b1b1… is superseded by b2b2b2b2…; copy c0 of key ${KEY} is held by blob b2b2b2b2… since 2026-03-01T07:00:00.000Z`,
        presentedBy: 'operator alice (backup file 2026-02.json)',
        currentBlobSha256: B2,
        currentHolder: `blob ${B2}`,
        at: T,
      },
    };
    spec.given([stored]).when(present(verdict)).then([refused]);
  });

  it('records nothing for the current blob (the import that follows is the record)', () => {
    const verdict = blobVerdict(keyWithB1SupersededByB2(), B2);
    spec
      .given([])
      .when({ ...present(verdict), data: { ...present(verdict).data, sha256: B2 } })
      .then([]);
  });
});

describe('a stored blob whose key is being destroyed', () => {
  it('records the destruction', () => {
    spec.given([stored]).when(destroy()).then([destroyed]);
  });

  it('refuses a destruction asked for another key', () => {
    spec
      .given([stored])
      .when(destroy({ keyId: 'other-key' }))
      .thenThrows(BlobMismatch, `for key ${KEY}, not other-key`);
  });

  it('refuses a destruction without a reason', () => {
    spec
      .given([stored])
      .when(destroy({ reason: ' ' }))
      .thenThrows(InvalidCommand, '"reason" expected non-empty text');
  });
});

describe('an empty blob stream whose key is being destroyed', () => {
  it('records the destruction, so that the stream takes no bytes later', () => {
    spec.given([]).when(destroy()).then([destroyed]);
  });
});

describe('a destroyed blob', () => {
  it('records nothing when destroyed again (a destroy finished after a crash)', () => {
    spec.given([stored, destroyed]).when(destroy()).then([]);
  });

  it('refuses its bytes stored again', () => {
    spec
      .given([stored, destroyed])
      .when(store())
      .thenThrows(BlobIsDestroyed, `blob b1b1b1b1… was destroyed with key ${KEY} at ${T2}: storing it`);
  });

  it('records a refused presentation of it, naming its key', () => {
    const reason = `key ${KEY} was destroyed at ${T2}`;
    spec
      .given([stored, destroyed])
      .when(present({ accepted: false, reason, currentBlobSha256: null, currentHolder: null }, null))
      .then([
        {
          type: 'BlobRefused',
          data: {
            sha256: B1,
            keyId: KEY,
            reason,
            presentedBy: 'operator alice (backup file 2026-02.json)',
            currentBlobSha256: null,
            currentHolder: null,
            at: T,
          },
        },
      ]);
  });

  it('keeps no bytes in its state, and gives no stored-blob fact', () => {
    const state = [stored, destroyed].reduce(evolve, initialState());
    expect(state).toEqual({ status: 'destroyed', sha256: B1, keyId: KEY, destroyedAt: T2, refusals: 0 });
    expect(storedBlobFact(state)).toBeNull();
  });
});
