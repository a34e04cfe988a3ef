/** Blobs: read one back, and judge one handed in from outside (an old backup), recording refusals. */
import type { Actor } from '../actor';
import { key } from '../../domain';
import { StreamDeleted } from '../../event-store';
import { MAX_BLOB_BASE64 } from '../../domain/blob';
import type { CustodyCore } from './custody-core';
import { sha256Hex } from '../../lib/sha256';
import { CustodyInvalidInput, CustodyNotFound } from './errors';
import { currentBlobOf, type BlobView, type PresentBlobResult } from './views';

const SHA256 = /^[0-9a-f]{64}$/;

export async function getBlob(core: CustodyCore, sha256: string): Promise<BlobView> {
  if (typeof sha256 !== 'string' || !SHA256.test(sha256))
    throw new CustodyInvalidInput(`"sha256" expected 64 lowercase hex characters`);
  const state = await core.blobState(sha256);
  // The bytes of a destroyed key's blob stay in the ledger (docs/architecture.md §6.1) but are not served.
  if (state === null || state.status === 'destroyed')
    throw new CustodyNotFound(`blob ${sha256} was destroyed with its key; its bytes are no longer served`);
  if (state.status !== 'stored') throw new CustodyNotFound(`blob ${sha256} is not in the ledger`);
  const owner = await core.foldKey(state.keyId);
  // A stored blob no key event names yet (an export interrupted by a crash) is not current.
  const status =
    owner.state.status === 'absent'
      ? 'current'
      : owner.state.status === 'destroyed'
        ? 'destroyed'
        : (owner.state.blobs[sha256]?.status ?? 'superseded');
  return { sha256, keyId: state.keyId, status, blob: Buffer.from(state.bytesBase64, 'base64') };
}

export async function presentBlob(
  core: CustodyCore,
  input: { keyId: string; blob: Buffer },
  actor: Actor,
): Promise<PresentBlobResult> {
  const bytes = input?.blob;
  if (
    !(bytes instanceof Uint8Array) ||
    bytes.length === 0 ||
    Math.ceil(bytes.length / 3) * 4 > MAX_BLOB_BASE64
  )
    throw new CustodyInvalidInput(`"blob" expected 1 … ${(MAX_BLOB_BASE64 / 4) * 3} bytes`);
  const { state } = await core.loadKey(input.keyId);
  const sha256 = sha256Hex(bytes);
  let verdict = key.blobVerdict(state, sha256);
  const stored = await core.blobState(sha256);
  if (!verdict.accepted && stored?.status === 'stored' && stored.keyId !== state.keyId) {
    verdict = {
      ...verdict,
      reason: `blob ${sha256} is a blob of key ${stored.keyId}, not of key ${state.keyId}`,
    };
  }
  if (verdict.accepted) return { sha256, keyId: state.keyId, accepted: true };
  const current = state.status === 'live' ? currentBlobOf(state) : undefined;
  const currentBlob = verdict.currentBlobSha256 ?? current?.sha256 ?? null;
  const ctx = core.context(actor);
  await core
    .decideBlob(
      sha256,
      {
        type: 'PresentBlob',
        data: {
          sha256,
          keyId: state.keyId,
          presentedBy: ctx.operatorId,
          verdict: { ...verdict, currentBlobSha256: currentBlob },
          at: ctx.now(),
        },
      },
      ctx,
    )
    .catch((error: unknown) => {
      // A blob stream tombstoned before the hash chain (its key destroyed then): the refusal stands,
      // there is nowhere to record it.
      if (!(error instanceof StreamDeleted)) throw error;
    });
  return {
    sha256,
    keyId: state.keyId,
    accepted: false,
    reason: verdict.reason,
    currentBlob,
    currentHolder: verdict.currentHolder,
  };
}
