/**
 * Signing (issue 4): RSA PKCS#1 v1.5 over SHA-256, ECDSA (raw r‖s) over SHA-256, hashsig
 * (RFC 8554) over the data. A hashsig signature's index path and hash are appended to the ledger
 * before the signature is returned (DESIGN §3 "Index log"); anything but a release is an error.
 */
import { key } from '../../domain';
import type { IndexPath } from '../../domain/hashsig';
import { hashsigSpkiToRfc8554 } from '../../soft-hsm/crypto/der';
import { hssSignatureIndexPath } from '../../soft-hsm/hashsig';
import type { ActiveHsm } from '../hsm-registry/hsm-registry';
import type { CustodyCore } from './custody-core';
import { sha256Hex } from './custody-core';
import { CustodyInvalidInput, type SignResult } from './custody.port';
import { HsmStateMismatch, SignatureWithheld } from './errors';
import { signInput, withKey } from './hsm-calls';
import { liveKey } from './keys';

/** Far above any document digest use, and within one RPC frame for hashsig messages (reference §1.5). */
const MAX_HASHSIG_MESSAGE = 8192;
const MAX_DATA = 16 * 1024 * 1024;

async function pickSigner(core: CustodyCore, state: key.LiveKey, ref: string | undefined): Promise<{ target: ActiveHsm; r: key.Residency }> {
  if (ref !== undefined) {
    const target = await core.registry.active(ref);
    const r = state.residency[target.hsmId];
    if (r === undefined || r.status !== 'live')
      throw new key.NotResident(state.keyId, target.hsmId, `signing with key ${state.keyId} on ${target.name}`, r === undefined ? undefined : `its copy there is disabled`);
    return { target, r };
  }
  for (const r of Object.values(state.residency)) {
    if (r.status !== 'live') continue;
    const target = await core.registry.resolve(r.hsmId);
    if (target.status === 'active') return { target, r };
  }
  const blob = key.currentBlob(state);
  throw new key.NotResident(state.keyId, 'any HSM', `signing with key ${state.keyId}`, blob === undefined ? 'no HSM holds it' : `no HSM holds it; raw-import its current blob ${blob.sha256} first`);
}

export async function sign(core: CustodyCore, keyId: string, input: { data: Buffer; hsm?: string }): Promise<SignResult> {
  const data = input?.data;
  if (!(data instanceof Uint8Array)) throw new CustodyInvalidInput(`"data" expected bytes`);
  if (data.length > MAX_DATA) throw new CustodyInvalidInput(`"data" expected at most ${MAX_DATA} bytes, got ${data.length}`);
  const { state } = await liveKey(core, keyId, 'signing');
  if (state.keyType !== 'hashsig') {
    const { target, r } = await pickSigner(core, state, input.hsm);
    const signature = await signOn(core, target, r, signInput(state.keyType, Buffer.from(data)));
    return { signature, hsm: target.name };
  }
  if (data.length > MAX_HASHSIG_MESSAGE) throw new CustodyInvalidInput(`"data" for a hashsig key expected at most ${MAX_HASHSIG_MESSAGE} bytes, got ${data.length}`);
  // One signature at a time per key: index paths must reach the ledger in the HSM's order.
  return core.serialize(keyId, async () => {
    const { state: now } = await liveKey(core, keyId, 'signing');
    if (now.frozen !== null) throw new key.KeyFrozen(keyId, now.frozen.at, now.frozen.detail, 'signing');
    const { target, r } = await pickSigner(core, now, input.hsm);
    const signature = await signOn(core, target, r, Buffer.from(data));
    const publicKey = hashsigSpkiToRfc8554(Buffer.from(now.publicKey, 'base64'));
    const indexPath: IndexPath = hssSignatureIndexPath(publicKey, signature).map((l) => ({ q: l.q, I: Buffer.from(l.I).toString('hex') }));
    const ctx = core.context();
    const { appended } = await core.decideKey(
      keyId,
      {
        type: 'RecordHashsigSignatures',
        data: { keyId, copyId: r.copyId, hsmId: target.hsmId, indexPaths: [indexPath], signatureSha256s: [sha256Hex(signature)], at: ctx.now() },
      },
      ctx,
    );
    const outcome = appended[0];
    if (outcome?.type !== 'HashsigSignaturesReleased') {
      const detail = outcome !== undefined && 'detail' in outcome.data ? String(outcome.data.detail) : 'not recorded';
      throw new SignatureWithheld(keyId, outcome?.type ?? 'none', detail);
    }
    return { signature, hsm: target.name, q: indexPath[0]!.q };
  });
}

async function signOn(core: CustodyCore, target: ActiveHsm, r: key.Residency, input: Buffer): Promise<Buffer> {
  const got = await core.registry.withHsm(target, (client) => withKey(client, r.hsmKeyName, (h) => client.sign(h, { data: input })));
  if (got === null) throw new HsmStateMismatch(`${target.name} has no key named ${r.hsmKeyName}, which the ledger records as resident; run a reconcile`);
  return got.value;
}
