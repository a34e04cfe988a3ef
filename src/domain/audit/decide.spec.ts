import { InvalidCommand } from '../errors';
import { deciderSpec } from '../spec';
import { auditDecider, CheckpointRefused } from './decide';
import type { AuditCheckpointSigned, AuditKey, AuditKeyGenerated, RecordCheckpoint } from './events';

const spec = deciderSpec(auditDecider);
const T0 = '2026-12-01T10:00:00.000Z';
const key = (keyId: string): AuditKey => ({
  keyId,
  spki: 'MFkw',
  verifierKey: `ledger.example/kl+${keyId}+AjBZ`,
  origin: 'ledger.example/kl',
  hsmId: 'hsm-a',
  hsmKeyName: '0b6c4d2e-1f00-4a5b-8c9d-0e1f2a3b4c5d',
  at: T0,
});
const generated = (keyId: string): AuditKeyGenerated => ({ type: 'AuditKeyGenerated', data: key(keyId) });
const leaves = (n: number) => Buffer.alloc(32 * n, 7).toString('base64');
const checkpoint = (treeSize: number, keyId = 'aabbccdd', from = 0): RecordCheckpoint => ({
  type: 'RecordCheckpoint',
  data: {
    from,
    leaves: leaves(treeSize - from),
    treeSize,
    rootHash: 'ab'.repeat(32),
    note: 'ledger.example/kl\n1\nq80=\n\n— x y\n',
    keyId,
    at: T0,
  },
});
const signed = (treeSize: number, keyId = 'aabbccdd', from = 0): AuditCheckpointSigned => ({
  type: 'AuditCheckpointSigned',
  data: checkpoint(treeSize, keyId, from).data,
});

describe('an audit stream without a key', () => {
  it('records the first key', () => {
    spec
      .given([])
      .when({ type: 'RecordAuditKey', data: key('aabbccdd') })
      .then([generated('aabbccdd')]);
  });
  it('refuses a checkpoint', () => {
    spec.given([]).when(checkpoint(5)).thenThrows(CheckpointRefused, 'no audit key is recorded yet');
  });
  it('refuses a malformed key id', () => {
    spec
      .given([])
      .when({ type: 'RecordAuditKey', data: key('xyz') })
      .thenThrows(InvalidCommand, '"keyId"');
  });
});

describe('an audit stream with a key', () => {
  it('records a checkpoint signed by it', () => {
    spec
      .given([generated('aabbccdd')])
      .when(checkpoint(5))
      .then([signed(5)]);
  });
  it('refuses a checkpoint by another key', () => {
    spec
      .given([generated('aabbccdd')])
      .when(checkpoint(5, '01020304'))
      .thenThrows(CheckpointRefused, 'the audit key is aabbccdd');
  });
  it('refuses a checkpoint that does not grow the tree', () => {
    spec
      .given([generated('aabbccdd'), signed(5)])
      .when(checkpoint(5, 'aabbccdd', 5))
      .thenThrows(CheckpointRefused, 'does not extend the last one (5 events)');
  });
  it('refuses the same key twice, accepts a replacement that then signs', () => {
    spec
      .given([generated('aabbccdd')])
      .when({ type: 'RecordAuditKey', data: key('aabbccdd') })
      .thenThrows(CheckpointRefused, 'already recorded');
    spec
      .given([generated('aabbccdd'), signed(5), generated('01020304')])
      .when(checkpoint(9, '01020304', 5))
      .then([signed(9, '01020304', 5)]);
  });
  it('refuses a checkpoint that does not start where the last one ended', () => {
    spec
      .given([generated('aabbccdd'), signed(5)])
      .when(checkpoint(9, 'aabbccdd', 4))
      .thenThrows(CheckpointRefused, 'does not start where the last one ended (5)');
  });
  it('refuses leaves that are not one 32-byte hash per added leaf', () => {
    const short: RecordCheckpoint = { ...checkpoint(5), data: { ...checkpoint(5).data, leaves: leaves(4) } };
    spec
      .given([generated('aabbccdd')])
      .when(short)
      .thenThrows(InvalidCommand, 'base64 of 5 32-byte hashes');
  });
  it('refuses a root that is not a SHA-256', () => {
    const bad: RecordCheckpoint = { ...checkpoint(5), data: { ...checkpoint(5).data, rootHash: 'ab' } };
    spec
      .given([generated('aabbccdd')])
      .when(bad)
      .thenThrows(InvalidCommand, '"rootHash"');
  });
});
