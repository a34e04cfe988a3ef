import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { CustodyCore } from './custody-core';
import type {
  BlobView,
  CustodyPort,
  GenerateKeyInput,
  HsmView,
  KekDomainView,
  KeyView,
  PresentBlobResult,
  ReconcileReport,
  RegisterHsmInput,
  SignResult,
} from './custody.port';
import { getBlob, presentBlob } from './blobs';
import * as admin from './hsm-admin';
import * as keys from './keys';
import { rawExport } from './raw-export';
import { rawImport } from './raw-import';
import { sign } from './sign';
import { transfer } from './transfer';

/**
 * The custody use cases (issue 4) over one `CustodyCore`. Each method is one use case file's
 * function: load the stream, decide with `src/domain`, append with the expected revision, call
 * the HSM — intent before the first HSM call, completion after the last (DESIGN §4).
 */
@Injectable()
export class CustodyService implements CustodyPort, OnApplicationShutdown {
  constructor(@Inject(CustodyCore) readonly core: CustodyCore) {}

  registerHsm(input: RegisterHsmInput): Promise<HsmView> {
    return admin.registerHsm(this.core, input);
  }
  listHsms(): Promise<HsmView[]> {
    return admin.listHsms(this.core);
  }
  async getHsm(hsm: string): Promise<HsmView> {
    return admin.hsmViewOf(this.core, (await this.core.registry.resolve(hsm)).hsmId);
  }
  createKekDomain(input: { name: string; hsm: string }): Promise<KekDomainView> {
    return admin.createKekDomain(this.core, input);
  }
  joinKekDomain(input: { kekDomain: string; hsm: string }): Promise<KekDomainView> {
    return admin.joinKekDomain(this.core, input);
  }
  recordZeroized(hsm: string): Promise<HsmView> {
    return admin.recordZeroized(this.core, hsm);
  }
  reconcile(hsm: string): Promise<ReconcileReport> {
    return admin.reconcile(this.core, hsm);
  }

  generateKey(input: GenerateKeyInput): Promise<KeyView> {
    return keys.generateKey(this.core, input);
  }
  listKeys(): Promise<KeyView[]> {
    return keys.listKeys(this.core);
  }
  getKey(keyId: string): Promise<KeyView> {
    return keys.getKey(this.core, keyId);
  }
  keyEvents(keyId: string): ReturnType<CustodyPort['keyEvents']> {
    return keys.keyEvents(this.core, keyId);
  }
  rawExport(keyId: string, input: { hsm: string; evict?: boolean }): Promise<{ blobSha256: string }> {
    return rawExport(this.core, keyId, input);
  }
  rawImport(keyId: string, input: { hsm: string; blobSha256?: string }): Promise<{ hsm: string; hsmKeyName: string; blobSha256: string }> {
    return rawImport(this.core, keyId, input);
  }
  transfer(keyId: string, input: { from: string; to: string }): Promise<KeyView> {
    return transfer(this.core, keyId, input);
  }
  deleteFromHsm(keyId: string, input: { hsm: string }): Promise<KeyView> {
    return keys.deleteFromHsm(this.core, keyId, input);
  }
  destroyKey(keyId: string): Promise<KeyView> {
    return keys.destroyKey(this.core, keyId);
  }
  sign(keyId: string, input: { data: Buffer; hsm?: string }): Promise<SignResult> {
    return sign(this.core, keyId, input);
  }

  getBlob(sha256: string): Promise<BlobView> {
    return getBlob(this.core, sha256);
  }
  presentBlob(input: { keyId: string; blob: Buffer }): Promise<PresentBlobResult> {
    return presentBlob(this.core, input);
  }

  /** Closes the kept key handles and the HSM connections (the ledger is closed by LedgerModule). */
  async onApplicationShutdown(): Promise<void> {
    await this.core.registry.close();
  }
}
