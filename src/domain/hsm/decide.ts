/**
 * The HSM registry (docs/architecture.md §2 `hsm-<id>`, §4 disaster recovery).
 *
 * Rules where docs/architecture.md is silent: registration never carries a KEK domain (membership is proven
 * only by the canary, so `HsmRegistered.kekDomainId` is null); rejoining the domain the HSM is
 * already in is a no-op; an HSM in one domain must be zeroized before it joins another; a
 * tampered HSM cannot join until zeroized; an HSM still holding a domain's KEK cannot be
 * decommissioned; a decommissioned HSM refuses everything, registration included; a backup KEKEK
 * is not generated on a tampered HSM, and recording one already recorded is a no-op.
 */
import { aId, aInt, aSha256, aText, aTime, aUuid } from '../assert';
import { InvalidCommand, unknownType } from '../errors';
import type { HsmCommand } from './commands';
import {
  CanaryProofMismatch,
  HsmAlreadyRegistered,
  HsmInOtherKekDomain,
  HsmIsDecommissioned,
  HsmNotRegistered,
  HsmStillInKekDomain,
  HsmTampered,
} from './errors';
import type { HsmEvent } from './events';
import type { HsmState } from './state';

export function decide(command: HsmCommand, state: HsmState): HsmEvent[] {
  const { hsmId, at } = command.data;
  aId('hsmId', hsmId);
  aTime('at', at);
  if (state.status === 'decommissioned') throw new HsmIsDecommissioned(state.hsmId, state.at, command.type);

  if (command.type === 'RegisterHsm') {
    const c = command.data;
    aText('name', c.name);
    aText('endpoint', c.endpoint);
    aInt('capacity', c.capacity, 1);
    if (state.status === 'active') throw new HsmAlreadyRegistered(state.hsmId, state.registeredAt);
    return [
      {
        type: 'HsmRegistered',
        data: { hsmId, name: c.name, endpoint: c.endpoint, kekDomainId: null, capacity: c.capacity, at },
      },
    ];
  }

  if (state.status === 'absent') throw new HsmNotRegistered(hsmId);
  if (state.hsmId !== hsmId)
    throw new InvalidCommand(`"hsmId" is ${hsmId}, but this stream is HSM ${state.hsmId}`);

  switch (command.type) {
    case 'JoinKekDomain': {
      const c = command.data;
      aId('kekDomainId', c.kekDomainId);
      aSha256('canaryBlobSha256', c.canaryBlobSha256);
      aSha256('canaryPublicKeySha256', c.canaryPublicKeySha256);
      if (c.domainCanary.kekDomainId !== c.kekDomainId) {
        throw new InvalidCommand(
          `"domainCanary" is KEK domain ${c.domainCanary.kekDomainId}'s, not ${c.kekDomainId}'s`,
        );
      }
      if (state.tamper !== null)
        throw new HsmTampered(hsmId, state.tamper.at, state.tamper.detail, `joining ${c.kekDomainId}`);
      if (state.kekDomainId !== null && state.kekDomainId !== c.kekDomainId) {
        throw new HsmInOtherKekDomain(hsmId, state.kekDomainId, c.kekDomainId);
      }
      if (c.canaryBlobSha256 !== c.domainCanary.canaryBlobSha256) {
        throw new CanaryProofMismatch(
          hsmId,
          c.kekDomainId,
          'blob',
          c.canaryBlobSha256,
          c.domainCanary.canaryBlobSha256,
        );
      }
      if (c.canaryPublicKeySha256 !== c.domainCanary.canaryPublicKeySha256) {
        throw new CanaryProofMismatch(
          hsmId,
          c.kekDomainId,
          'public key',
          c.canaryPublicKeySha256,
          c.domainCanary.canaryPublicKeySha256,
        );
      }
      if (state.kekDomainId === c.kekDomainId) return [];
      return [
        {
          type: 'HsmJoinedKekDomain',
          data: {
            hsmId,
            kekDomainId: c.kekDomainId,
            canaryBlobSha256: c.canaryBlobSha256,
            canaryPublicKeySha256: c.canaryPublicKeySha256,
            at,
          },
        },
      ];
    }
    case 'ReportTamper':
      aText('detail', command.data.detail);
      return [{ type: 'HsmReportedTamper', data: { hsmId, detail: command.data.detail, at } }];
    case 'RecordZeroized':
      aText('reason', command.data.reason);
      return [
        {
          type: 'HsmZeroized',
          data: { hsmId, leftKekDomainId: state.kekDomainId, reason: command.data.reason, at },
        },
      ];
    case 'RecordBackupKekek': {
      const c = command.data;
      aUuid('kekekName', c.kekekName);
      aSha256('spkiSha256', c.spkiSha256);
      aInt('bits', c.bits, 1024, 16384);
      if (state.backupKekeks !== undefined && Object.hasOwn(state.backupKekeks, c.kekekName)) return [];
      if (state.tamper !== null)
        throw new HsmTampered(hsmId, state.tamper.at, state.tamper.detail, 'generating a backup KEKEK');
      return [
        {
          type: 'HsmBackupKekekGenerated',
          data: { hsmId, kekekName: c.kekekName, spkiSha256: c.spkiSha256, bits: c.bits, at },
        },
      ];
    }
    case 'DecommissionHsm':
      aText('reason', command.data.reason);
      if (state.kekDomainId !== null) throw new HsmStillInKekDomain(hsmId, state.kekDomainId);
      return [{ type: 'HsmDecommissioned', data: { hsmId, reason: command.data.reason, at } }];
    default:
      return unknownType(command, 'HSM command');
  }
}
