import { InvalidCommand } from '../errors';
import { deciderSpec } from '../spec';
import type { RecordBackupKekek } from './commands';
import { HsmNotRegistered, HsmTampered } from './errors';
import type { HsmBackupKekekGenerated, HsmEvent, HsmRegistered } from './events';
import { hsmDecider } from './index';
import { evolve, initialState } from './state';

const spec = deciderSpec(hsmDecider);
const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-02T10:00:00.000Z';
const KEKEK = 'eeeeeeee-0000-4000-8000-000000000001';
const SPKI = 'e1'.repeat(32);

const registered: HsmRegistered = {
  type: 'HsmRegistered',
  data: { hsmId: 'hsm-b', name: 'hsm-b', endpoint: 'unix:/b.sock', kekDomainId: null, capacity: 64, at: T0 },
};
const record = (over: Partial<RecordBackupKekek['data']> = {}): RecordBackupKekek => ({
  type: 'RecordBackupKekek',
  data: { hsmId: 'hsm-b', kekekName: KEKEK, spkiSha256: SPKI, bits: 2048, at: T1, ...over },
});
const generated: HsmBackupKekekGenerated = {
  type: 'HsmBackupKekekGenerated',
  data: { hsmId: 'hsm-b', kekekName: KEKEK, spkiSha256: SPKI, bits: 2048, at: T1 },
};
const fold = (events: HsmEvent[]) => events.reduce(evolve, initialState());

describe('a KEKEK for cryptech_backup files on an HSM', () => {
  it('is recorded on the HSM, which keeps it by name', () => {
    spec.given([registered]).when(record()).then([generated]);
    const state = fold([registered, generated]);
    expect(state.status === 'active' && state.backupKekeks).toEqual({
      [KEKEK]: { spkiSha256: SPKI, bits: 2048, at: T1 },
    });
  });

  it('records nothing when recorded again', () => {
    spec.given([registered, generated]).when(record()).then([]);
  });

  it('is refused on a tampered HSM, on an unregistered one, and with a name that is no key name', () => {
    const tamper: HsmEvent = {
      type: 'HsmReportedTamper',
      data: { hsmId: 'hsm-b', detail: 'lid open', at: T0 },
    };
    spec
      .given([registered, tamper])
      .when(record())
      .thenThrows(HsmTampered, 'generating a backup KEKEK refused');
    spec.given([]).when(record()).thenThrows(HsmNotRegistered);
    spec
      .given([registered])
      .when(record({ kekekName: 'kekek' }))
      .thenThrows(InvalidCommand, '"kekekName"');
  });

  it('is gone after a zeroization, with the other keys', () => {
    const zeroized: HsmEvent = {
      type: 'HsmZeroized',
      data: { hsmId: 'hsm-b', leftKekDomainId: null, reason: 'tamper response', at: T1 },
    };
    const state = fold([registered, generated, zeroized]);
    expect(state).toEqual(expect.objectContaining({ status: 'active', zeroizedAt: T1 }));
    expect(Object.keys(state)).not.toContain('backupKekeks');
  });
});
