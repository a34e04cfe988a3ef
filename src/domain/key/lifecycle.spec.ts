import { InvalidCommand } from '../errors';
import { deciderSpec } from '../spec';
import type { KeyCommand, RecordGeneratedKey } from './commands';
import {
  KeyAlreadyRecorded,
  KeyIsDestroyed,
  KeyNotFound,
  OperationInProgress,
  StillResident,
} from './errors';
import type { KeyDestroyed, KeyEvent } from './events';
import {
  at,
  completeRawExport,
  completeRawImport,
  completeTransitExport,
  completeTransitImport,
  deletedFromHsm,
  FLAGS,
  hashsigGenerated,
  hsmName,
  I0,
  KEY,
  path1,
  PUB,
  rawExported,
  rawExportStarted,
  recordSignatures,
  rsaGenerated,
  sha,
  startRawExport,
  startRawImport,
  startTransfer,
} from './fixtures';
import { keyDecider } from './index';

const spec = deciderSpec(keyDecider);
const B1 = sha('b1');

const generate = (spec: Pick<RecordGeneratedKey['data'], 'keyType' | 'params'>): RecordGeneratedKey => {
  const common = {
    keyId: KEY,
    hsmId: 'hsm-a',
    hsmName: hsmName('hsm-a'),
    flags: FLAGS,
    publicKey: PUB,
    attributes: { '0': 'AQ==', '258': 'a2V5LTE=' },
    copyId: 'c0',
    at: at(0),
  };
  return { type: 'RecordGeneratedKey', data: { ...common, ...spec } as RecordGeneratedKey['data'] };
};

describe('a key not yet in the ledger', () => {
  it('records a hashsig key whose copy c0 owns the whole top tree [0, 2^h)', () => {
    spec
      .given([])
      .when(generate({ keyType: 'hashsig', params: { levels: 1, lmsType: 5, lmotsType: 3, I: I0 } }))
      .then([hashsigGenerated()]);
  });

  it('records an RSA key with no range', () => {
    spec
      .given([])
      .when(generate({ keyType: 'rsa', params: { bits: 2048 } }))
      .then([rsaGenerated()]);
  });

  it('records an EC key', () => {
    spec
      .given([])
      .when(generate({ keyType: 'ec', params: { curve: 'P-256' } }))
      .then([
        { type: 'KeyGenerated', data: { ...rsaGenerated().data, keyType: 'ec', params: { curve: 'P-256' } } },
      ]);
  });

  it.each([
    [
      'an unsupported LMS type',
      { keyType: 'hashsig', params: { levels: 1, lmsType: 4, lmotsType: 3, I: I0 } },
      '"params.lmsType" expected an LMS type 5 … 9',
    ],
    [
      'LM-OTS W1',
      { keyType: 'hashsig', params: { levels: 1, lmsType: 5, lmotsType: 1, I: I0 } },
      '"params.lmotsType" expected an LM-OTS type 2 … 4',
    ],
    [
      'nine levels',
      { keyType: 'hashsig', params: { levels: 9, lmsType: 5, lmotsType: 3, I: I0 } },
      '"params.levels" expected 1 … 8',
    ],
    [
      'an RSA size not a multiple of 8',
      { keyType: 'rsa', params: { bits: 1028 } },
      '"params.bits" expected a multiple of 8',
    ],
    [
      'an unknown curve',
      { keyType: 'ec', params: { curve: 'P-224' } },
      '"params.curve" expected one of P-256, P-384, P-521',
    ],
  ] as const)('refuses %s naming the field', (_, keySpec, message) => {
    spec
      .given([])
      .when(generate(keySpec as unknown as Pick<RecordGeneratedKey['data'], 'keyType' | 'params'>))
      .thenThrows(InvalidCommand, message);
  });

  it('refuses any other command', () => {
    spec
      .given([])
      .when(startRawExport('op-1', 'hsm-a', 1))
      .thenThrows(KeyNotFound, `key ${KEY} is not in the ledger`);
  });
});

describe('a recorded key', () => {
  it('refuses to be recorded again', () => {
    spec
      .given([rsaGenerated()])
      .when(generate({ keyType: 'rsa', params: { bits: 2048 } }))
      .thenThrows(KeyAlreadyRecorded, `key ${KEY} is already in the ledger (recorded ${at(0)})`);
  });

  it('refuses a command addressed to another key', () => {
    const cmd = startRawExport('op-1', 'hsm-a', 1);
    spec
      .given([rsaGenerated()])
      .when({ ...cmd, data: { ...cmd.data, keyId: 'other-key' } })
      .thenThrows(InvalidCommand, `"keyId" is other-key, but this stream is key ${KEY}`);
  });

  it('refuses a time that is not ISO-8601', () => {
    const cmd = startRawExport('op-1', 'hsm-a', 1);
    spec
      .given([rsaGenerated()])
      .when({ ...cmd, data: { ...cmd.data, at: 'yesterday' } })
      .thenThrows(InvalidCommand, '"at" expected an ISO-8601 time');
  });
});

describe('a key still on hsm-a', () => {
  it('refuses DestroyKey until it is deleted there', () => {
    spec
      .given([rsaGenerated()])
      .when({ type: 'DestroyKey', data: { keyId: KEY, reason: 'retired', at: at(5) } })
      .thenThrows(
        StillResident,
        `destroying key ${KEY} refused: it is still on hsm-a (key name ${hsmName('hsm-a')}); delete it there first`,
      );
  });
});

describe('a key with an operation open', () => {
  it('refuses DestroyKey', () => {
    spec
      .given([rsaGenerated(), rawExportStarted('op-1', 'hsm-a', 1)])
      .when({ type: 'DestroyKey', data: { keyId: KEY, reason: 'retired', at: at(5) } })
      .thenThrows(OperationInProgress, 'raw-export op-1 from hsm-a');
  });
});

const destroyed: KeyDestroyed = {
  type: 'KeyDestroyed',
  data: { keyId: KEY, blobSha256s: [B1], reason: 'retired', at: at(5) },
};
const blobOnly: KeyEvent[] = [
  hashsigGenerated(),
  rawExportStarted('op-1', 'hsm-a', 1),
  rawExported('op-1', 'hsm-a', B1, 2, { range: { start: 0, end: 32 } }),
  deletedFromHsm('hsm-a', 3),
];

describe('a key held only by blob B1', () => {
  it('is destroyed with every blob it has', () => {
    spec
      .given(blobOnly)
      .when({ type: 'DestroyKey', data: { keyId: KEY, reason: 'retired', at: at(5) } })
      .then([destroyed]);
  });
});

describe('a destroyed key', () => {
  const commands: KeyCommand[] = [
    generate({ keyType: 'rsa', params: { bits: 2048 } }),
    startRawExport('op-2', 'hsm-a', 6),
    completeRawExport('op-1', B1, 6),
    { type: 'RecordDeletedFromHsm', data: { keyId: KEY, hsmId: 'hsm-a', reason: 'x', at: at(6) } },
    startRawImport('op-2', 'hsm-b', B1, 6),
    completeRawImport('op-2', 'hsm-b', 6),
    { type: 'FailOperation', data: { keyId: KEY, opId: 'op-1', reason: 'x', at: at(6) } },
    startTransfer('op-2', 'hsm-a', 'hsm-b', 6),
    completeTransitExport('op-2', sha('71'), 6, null, null),
    completeTransitImport('op-2', 'hsm-b', 6),
    recordSignatures('c0', 'hsm-a', [path1(0)], 6),
    { type: 'UnfreezeKey', data: { keyId: KEY, officerId: 'o', reason: 'x', at: at(6) } },
    { type: 'DestroyKey', data: { keyId: KEY, reason: 'again', at: at(6) } },
  ];

  it.each(commands.map((c) => [c.type, c] as const))('refuses %s', (type, command) => {
    spec
      .given([...blobOnly, destroyed])
      .when(command)
      .thenThrows(KeyIsDestroyed, `key ${KEY} was destroyed at ${at(5)}: ${type} refused`);
  });
});
