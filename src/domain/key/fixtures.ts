/**
 * Builders for the key specs: each returns a whole command or event with readable defaults, so a
 * spec states only what matters to it. Not used outside specs.
 */
import type { IndexPath, Partition, Range } from '../hashsig';
import type {
  CompleteRawExport,
  CompleteRawImport,
  CompleteTransitExport,
  CompleteTransitImport,
  RecordHashsigSignatures,
  StartRawExport,
  StartRawImport,
  PrepareTransfer,
  StartTransfer,
} from './commands';
import type {
  HashsigSignaturesReleased,
  KekekGenerated,
  KeyDeletedFromHsm,
  KeyGenerated,
  KeyRawExported,
  KeyRawExportStarted,
  KeyRawImported,
  KeyRawImportStarted,
  KeyTransferPrepared,
  KeyTransferStarted,
  KeyTransitExported,
  KeyTransitImported,
} from './events';

export const KEY = '5b0c9a4e-7d1f-4c2a-9e3b-1a2b3c4d5e6f';
export const I0 = '10'.repeat(16);
export const PUB = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQc=';
/** DIGITALSIGNATURE | TOKEN | EXPORTABLE */
export const FLAGS = 0x29;
export const sha = (hex2: string): string => hex2.repeat(32);
/** The UUID each HSM gave the key: `aa000000-…` on hsm-a, `bb000000-…` on hsm-b, `cc000000-…` on hsm-c. */
export const hsmName = (hsmId: string): string =>
  `${hsmId.slice(-1).repeat(2)}000000-0000-4000-8000-000000000001`;
export const at = (hour: number): string => `2026-03-01T${String(hour).padStart(2, '0')}:00:00.000Z`;
export const path1 = (q: number): IndexPath => [{ q, I: I0 }];
export const sigs = (n: number, from = 0): string[] =>
  Array.from({ length: n }, (_, i) => (from + i + 1).toString(16).padStart(64, '0'));

const common = (hsmId: string, copyId: string, hour: number) => ({
  keyId: KEY,
  hsmId,
  hsmName: hsmName(hsmId),
  flags: FLAGS,
  publicKey: PUB,
  attributes: { '0': 'AQ==', '258': 'a2V5LTE=' },
  copyId,
  at: at(hour),
});

/** Hashsig L=1, H5 (32 top-level leaves), generated on hsm-a as copy c0. */
export function hashsigGenerated(hsmId = 'hsm-a', levels = 1): KeyGenerated {
  return {
    type: 'KeyGenerated',
    data: {
      ...common(hsmId, 'c0', 0),
      keyType: 'hashsig',
      params: { levels, lmsType: 5, lmotsType: 3, I: I0 },
      range: { start: 0, end: 32 },
    },
  };
}

export function rsaGenerated(hsmId = 'hsm-a', flags = FLAGS): KeyGenerated {
  return {
    type: 'KeyGenerated',
    data: { ...common(hsmId, 'c0', 0), flags, keyType: 'rsa', params: { bits: 2048 }, range: null },
  };
}

export const startRawExport = (
  opId: string,
  hsmId: string,
  hour: number,
  kd: string | null = 'kd-1',
): StartRawExport => ({
  type: 'StartRawExport',
  data: { keyId: KEY, opId, hsmId, hsmKekDomainId: kd, at: at(hour) },
});

export const rawExportStarted = (
  opId: string,
  hsmId: string,
  hour: number,
  copyId = 'c0',
  kd = 'kd-1',
): KeyRawExportStarted => ({
  type: 'KeyRawExportStarted',
  data: { keyId: KEY, opId, hsmId, copyId, kekDomainId: kd, at: at(hour) },
});

export const stored = (sha256: string, kind: 'raw' | 'transit' = 'raw') => ({ sha256, keyId: KEY, kind });

export const completeRawExport = (
  opId: string,
  blob: string,
  hour: number,
  kd = 'kd-1',
): CompleteRawExport => ({
  type: 'CompleteRawExport',
  data: { keyId: KEY, opId, blobSha256: blob, kekDomainId: kd, storedBlob: stored(blob), at: at(hour) },
});

export const rawExported = (
  opId: string,
  hsmId: string,
  blob: string,
  hour: number,
  o: { range?: Range | null; supersedes?: string[]; copyId?: string; kd?: string } = {},
): KeyRawExported => ({
  type: 'KeyRawExported',
  data: {
    keyId: KEY,
    opId,
    hsmId,
    blobSha256: blob,
    kekDomainId: o.kd ?? 'kd-1',
    copyId: o.copyId ?? 'c0',
    range: o.range === undefined ? null : o.range,
    supersedes: o.supersedes ?? [],
    at: at(hour),
  },
});

export const deletedFromHsm = (
  hsmId: string,
  hour: number,
  o: { reason?: string; copyId?: string; lost?: boolean } = {},
): KeyDeletedFromHsm => ({
  type: 'KeyDeletedFromHsm',
  data: {
    keyId: KEY,
    hsmId,
    hsmName: hsmName(hsmId),
    copyId: o.copyId ?? 'c0',
    reason: o.reason ?? 'raw-exported',
    lostCopyId: o.lost === true ? (o.copyId ?? 'c0') : null,
    at: at(hour),
  },
});

export const startRawImport = (
  opId: string,
  hsmId: string,
  blob: string,
  hour: number,
  kd: string | null = 'kd-1',
): StartRawImport => ({
  type: 'StartRawImport',
  data: { keyId: KEY, opId, hsmId, blobSha256: blob, hsmKekDomainId: kd, at: at(hour) },
});

export const rawImportStarted = (
  opId: string,
  hsmId: string,
  blob: string,
  hour: number,
  copyId = 'c0',
): KeyRawImportStarted => ({
  type: 'KeyRawImportStarted',
  data: { keyId: KEY, opId, hsmId, blobSha256: blob, copyId, kekDomainId: 'kd-1', at: at(hour) },
});

export const completeRawImport = (opId: string, hsmId: string, hour: number): CompleteRawImport => ({
  type: 'CompleteRawImport',
  data: { keyId: KEY, opId, hsmKeyName: hsmName(hsmId), at: at(hour) },
});

export const rawImported = (
  opId: string,
  hsmId: string,
  blob: string,
  hour: number,
  copyId = 'c0',
): KeyRawImported => ({
  type: 'KeyRawImported',
  data: { keyId: KEY, opId, hsmId, hsmName: hsmName(hsmId), blobSha256: blob, copyId, at: at(hour) },
});

export const KEKEK_NAME = 'cccccccc-0000-4000-8000-0000000000ee';
export const KEKEK_SPKI = sha('ee');

export const prepareTransfer = (
  opId: string,
  fromHsm: string,
  toHsm: string,
  hour: number,
  priorKekekNames: string[] = [],
): PrepareTransfer => ({
  type: 'PrepareTransfer',
  data: { keyId: KEY, opId, fromHsm, toHsm, priorKekekNames, at: at(hour) },
});

export const transferPrepared = (
  opId: string,
  fromHsm: string,
  toHsm: string,
  hour: number,
  copyId = 'c0',
  priorKekekNames: string[] = [],
): KeyTransferPrepared => ({
  type: 'KeyTransferPrepared',
  data: { keyId: KEY, opId, fromHsm, toHsm, copyId, priorKekekNames, at: at(hour) },
});

export const startTransfer = (opId: string, fromHsm: string, toHsm: string, hour: number): StartTransfer => ({
  type: 'StartTransfer',
  data: {
    keyId: KEY,
    opId,
    fromHsm,
    toHsm,
    kekek: { hsmId: toHsm, kekekName: KEKEK_NAME, spkiSha256: KEKEK_SPKI },
    at: at(hour),
  },
});

export const transferStarted = (
  opId: string,
  fromHsm: string,
  toHsm: string,
  hour: number,
  copyId = 'c0',
): [KekekGenerated, KeyTransferStarted] => [
  {
    type: 'KekekGenerated',
    data: { keyId: KEY, opId, hsmId: toHsm, kekekName: KEKEK_NAME, spkiSha256: KEKEK_SPKI, at: at(hour) },
  },
  {
    type: 'KeyTransferStarted',
    data: {
      keyId: KEY,
      opId,
      fromHsm,
      toHsm,
      copyId,
      kekekName: KEKEK_NAME,
      kekekSpkiSha256: KEKEK_SPKI,
      at: at(hour),
    },
  },
];

export const completeTransitExport = (
  opId: string,
  blob: string,
  hour: number,
  partition: Partition | null,
  newCopyId: string | null,
): CompleteTransitExport => ({
  type: 'CompleteTransitExport',
  data: {
    keyId: KEY,
    opId,
    transitBlobSha256: blob,
    storedBlob: stored(blob, 'transit'),
    partition,
    newCopyId,
    at: at(hour),
  },
});

export const transitExported = (
  opId: string,
  fromHsm: string,
  toHsm: string,
  blob: string,
  hour: number,
  partition: Partition | null,
  copyId: string,
  sourceCopyId = 'c0',
): KeyTransitExported => ({
  type: 'KeyTransitExported',
  data: {
    keyId: KEY,
    opId,
    fromHsm,
    toHsm,
    sourceCopyId,
    copyId,
    partition,
    transitBlobSha256: blob,
    at: at(hour),
  },
});

export const completeTransitImport = (opId: string, toHsm: string, hour: number): CompleteTransitImport => ({
  type: 'CompleteTransitImport',
  data: { keyId: KEY, opId, hsmName: hsmName(toHsm), at: at(hour) },
});

export const transitImported = (
  opId: string,
  toHsm: string,
  blob: string,
  hour: number,
  copyId: string,
): KeyTransitImported => ({
  type: 'KeyTransitImported',
  data: { keyId: KEY, opId, toHsm, hsmName: hsmName(toHsm), copyId, transitBlobSha256: blob, at: at(hour) },
});

export const recordSignatures = (
  copyId: string,
  hsmId: string,
  paths: IndexPath[],
  hour: number,
  from = 0,
): RecordHashsigSignatures => ({
  type: 'RecordHashsigSignatures',
  data: {
    keyId: KEY,
    copyId,
    hsmId,
    indexPaths: paths,
    signatureSha256s: sigs(paths.length, from),
    at: at(hour),
  },
});

export const released = (
  copyId: string,
  hsmId: string,
  paths: IndexPath[],
  hour: number,
  from = 0,
): HashsigSignaturesReleased => ({
  type: 'HashsigSignaturesReleased',
  data: {
    keyId: KEY,
    copyId,
    hsmId,
    indexPaths: paths,
    signatureSha256s: sigs(paths.length, from),
    at: at(hour),
  },
});
