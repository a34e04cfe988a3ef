/**
 * Signing (issue 4): RSA PKCS#1 v1.5 over SHA-256, ECDSA (raw r‖s) over SHA-256, hashsig
 * (RFC 8554) over the data. A hashsig signature's index path and hash are appended to the ledger
 * before the signature is returned (docs/architecture.md §3 "Index log"); anything but a release is an error.
 * RSA/EC keys sign with a handle the registry keeps open (one PKEY_SIGN), and each signature is
 * verified with the ledger's public key before it is returned; hashsig keys open, sign and close.
 */
import type { Actor } from '../actor';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { key } from '../../domain';
import type { IndexPath } from '../../domain/hashsig';
import { hashsigSpkiToRfc8554 } from '../../lib/spki';
import { hssSignatureIndexPath } from '../../lib/rfc8554';
import type { ActiveHsm } from '../hsm-registry/hsm-registry';
import type { CustodyCore } from './custody-core';
import { sha256Hex } from '../../lib/sha256';
import { type SignResult } from './views';
import { CustodyInvalidInput, HsmStateMismatch, SignatureWithheld } from './errors';
import { signatureVerifies, signInput, withKey } from './hsm-calls';
import { liveKey } from './keys';
import { skipIndexCheck } from './index-check-switch';

/** Far above any document digest use, and within one RPC frame for hashsig messages (docs/libhal-rpc.md §1.5). */
const MAX_HASHSIG_MESSAGE = 8192;
const MAX_DATA = 16 * 1024 * 1024;

async function pickSigner(
  core: CustodyCore,
  state: key.LiveKey,
  ref: string | undefined,
): Promise<{ target: ActiveHsm; r: key.Residency }> {
  if (ref !== undefined) {
    const target = await core.registry.active(ref);
    const r = state.residency[target.hsmId];
    if (r === undefined || r.status !== 'live')
      throw new key.NotResident(
        state.keyId,
        target.hsmId,
        `signing with key ${state.keyId} on ${target.name}`,
        r === undefined ? undefined : `its copy there is disabled`,
      );
    return { target, r };
  }
  for (const r of Object.values(state.residency)) {
    if (r.status !== 'live') continue;
    const target = await core.registry.resolve(r.hsmId);
    if (target.status === 'active') return { target, r };
  }
  const blob = key.currentBlob(state);
  throw new key.NotResident(
    state.keyId,
    'any HSM',
    `signing with key ${state.keyId}`,
    blob === undefined
      ? 'no HSM holds it'
      : `no HSM holds it; raw-import its current blob ${blob.sha256} first`,
  );
}

export async function sign(
  core: CustodyCore,
  keyId: string,
  input: { data: Buffer; hsm?: string },
  actor: Actor,
): Promise<SignResult> {
  const data = input?.data;
  if (!(data instanceof Uint8Array)) throw new CustodyInvalidInput(`"data" expected bytes`);
  if (data.length > MAX_DATA)
    throw new CustodyInvalidInput(`"data" expected at most ${MAX_DATA} bytes, got ${data.length}`);
  const { state } = await liveKey(core, keyId, 'signing');
  if (state.keyType !== 'hashsig') {
    const { target, r } = await pickSigner(core, state, input.hsm);
    const signature = await signWithKeptHandle(core, target, r, state, Buffer.from(data));
    return { signature, hsm: target.name };
  }
  if (data.length > MAX_HASHSIG_MESSAGE)
    throw new CustodyInvalidInput(
      `"data" for a hashsig key expected at most ${MAX_HASHSIG_MESSAGE} bytes, got ${data.length}`,
    );
  // One signature at a time per key: index paths must reach the ledger in the HSM's order.
  return core.serialize(keyId, async () => {
    const { state: now } = await liveKey(core, keyId, 'signing');
    if (now.frozen !== null) throw new key.KeyFrozen(keyId, now.frozen.at, now.frozen.detail, 'signing');
    // The ledger knows when no index is left: no HSM round trip for a refusal.
    const usage = key.hashsigUsage(now);
    if (usage !== null && usage.remaining === 0)
      throw new key.HashsigExhausted(
        now.originCopyId,
        `of key ${keyId} is exhausted: all ${usage.signatures + usage.withheld} signature indices are used; signing refused (generate a new key)`,
      );
    const { target, r } = await pickSigner(core, now, input.hsm);
    const signature = await signHashsig(core, target, r, Buffer.from(data));
    const publicKey = hashsigSpkiToRfc8554(Buffer.from(now.publicKey, 'base64'));
    const indexPath: IndexPath = hssSignatureIndexPath(publicKey, signature).map((l) => ({
      q: l.q,
      I: Buffer.from(l.I).toString('hex'),
    }));
    const ctx = core.context(actor);
    const { appended } = await core.decideKey(
      keyId,
      {
        type: 'RecordHashsigSignatures',
        data: {
          keyId,
          copyId: r.copyId,
          hsmId: target.hsmId,
          indexPaths: [indexPath],
          signatureSha256s: [sha256Hex(signature)],
          at: ctx.now(),
          ...(skipIndexCheck(core.options.env) ? { unsafeSkipIndexCheck: true as const } : {}),
        },
      },
      ctx,
    );
    const outcome = appended[0];
    if (outcome?.type !== 'HashsigSignaturesReleased') {
      const detail =
        outcome !== undefined && 'detail' in outcome.data ? String(outcome.data.detail) : 'not recorded';
      throw new SignatureWithheld(keyId, outcome?.type ?? 'none', detail);
    }
    return { signature, hsm: target.name, q: indexPath[0]!.q };
  });
}

/** The key's public key, parsed once per folded state (states are immutable values). */
const publicKeys = new WeakMap<key.LiveKey, { der: Buffer; key: KeyObject }>();

function publicKeyOf(state: key.LiveKey): { der: Buffer; key: KeyObject } {
  let publicKey = publicKeys.get(state);
  if (publicKey === undefined) {
    const der = Buffer.from(state.publicKey, 'base64');
    publicKeys.set(
      state,
      (publicKey = { der, key: createPublicKey({ key: der, format: 'der', type: 'spki' }) }),
    );
  }
  return publicKey;
}

/**
 * A kept handle may outlive the HSM's memory of it (a restart the client did not notice) and then
 * name another key: a signature that does not verify is never returned (docs/style.md §10), and tells
 * `KeyHandles.use` to let its handles go and try once more with a fresh one.
 */
async function signWithKeptHandle(
  core: CustodyCore,
  target: ActiveHsm,
  r: key.Residency,
  state: key.LiveKey & { keyType: 'rsa' | 'ec' },
  data: Buffer,
): Promise<Buffer> {
  const publicKey = publicKeyOf(state);
  const input = signInput(state.keyType, data);
  const got = await core.registry.withKeyHandle(
    target,
    r.hsmKeyName,
    publicKey.der,
    async (client, handle) => {
      const signature = await client.sign(handle, { data: input });
      if (!(await signatureVerifies(state.keyType, publicKey.key, data, signature)))
        throw new HsmStateMismatch(
          `${target.name} signed with key ${r.hsmKeyName}, but not as key ${state.keyId}: the signature does not verify with its public key; run a reconcile`,
        );
      return signature;
    },
  );
  return resident(got, target, r);
}

async function signHashsig(
  core: CustodyCore,
  target: ActiveHsm,
  r: key.Residency,
  message: Buffer,
): Promise<Buffer> {
  return resident(
    await core.registry.withHsm(target, (client) =>
      withKey(client, r.hsmKeyName, (h) => client.sign(h, { data: message })),
    ),
    target,
    r,
  );
}

function resident(got: { value: Buffer } | null, target: ActiveHsm, r: key.Residency): Buffer {
  if (got === null)
    throw new HsmStateMismatch(
      `${target.name} has no key named ${r.hsmKeyName}, which the ledger records as resident; run a reconcile`,
    );
  return got.value;
}
