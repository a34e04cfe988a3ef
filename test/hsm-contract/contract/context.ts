/** What the HSM contract's parts share: the HSMs under test and clients that are cleaned up after each test. */
import type { HalUser, Hsm } from '../../../src/hsm-adapter';
import { KeyFlag, User } from '../../../src/hsm-adapter/constants';

export const PIN = 'fnord';
export const KEK_A = Buffer.alloc(32, 0xa1);
export const KEK_B = Buffer.alloc(32, 0xb2);
export const { USAGE_DIGITALSIGNATURE: DS, USAGE_KEYENCIPHERMENT: KE, TOKEN, EXPORTABLE } = KeyFlag;
export { User };

export interface ConnectOptions {
  /** Default NORMAL. */
  readonly user?: HalUser;
  /** Default `fnord`; null connects without logging in. */
  readonly pin?: string | null;
  readonly poolSize?: number;
}

/** One running HSM, initialised with PIN `fnord` for wheel, SO and user. */
export interface HsmUnderTest {
  connect(options?: ConnectOptions): Promise<Hsm>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The master KEK (the "KEK domain" of raw blobs, §9.2). */
  readonly kek: Buffer;
  /** false: EXPORT_RAW / IMPORT_RAW answer RPC_BAD_FUNCTION like stock 2019 firmware. Default true. */
  readonly rawExport?: boolean;
}

export type StartHsm = (options: StartOptions) => Promise<HsmUnderTest>;

export interface ContractContext {
  /** The HSM under test (KEK A). */
  readonly a: HsmUnderTest;
  /** A peer in the same KEK domain (KEK A). */
  readonly b: HsmUnderTest;
  /** An HSM with another master KEK (KEK B). */
  readonly c: HsmUnderTest;
  /** An HSM without raw export (KEK A). */
  readonly d: HsmUnderTest;
  /** A client of `hsm`, disconnected after the test. */
  client(hsm: HsmUnderTest, options?: ConnectOptions): Promise<Hsm>;
  /** A fresh HSM, stopped after the test. */
  fresh(options: StartOptions): Promise<HsmUnderTest>;
}

/** Runs `fn` and returns the libhal status name and RPC it failed with; throws if it did not fail with a status. */
export async function statusOf(
  fn: () => Promise<unknown>,
): Promise<{ status: string; rpc: string | undefined }> {
  try {
    await fn();
  } catch (error) {
    const e = error as { kind?: string; status?: string; rpc?: string };
    if (e.kind === 'status') return { status: e.status as string, rpc: e.rpc };
    throw error;
  }
  throw new Error('expected an HSM status error, the call succeeded');
}

/** A fresh tag for attribute filters, so a test's keys are told apart from every other test's. */
export function freshTag(label: string): Buffer {
  return Buffer.from(`${label}:${process.hrtime.bigint()}:${Math.random()}`);
}

/** Attribute type used to tag keys (any u32 works, §4.5). */
export const TAG_ATTRIBUTE = 0x4b4c0001;
