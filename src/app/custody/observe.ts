/**
 * Observed signatures (docs/architecture.md §3 "Observed signatures"): a relying party or a monitor hands in
 * an HSS signature of a hashsig key seen in the wild, with or without the message it signs. The
 * signature is parsed for the key's parameters here (the domain gets its index path and SHA-256),
 * checked to be the key's as far as the bytes allow, and judged against the key's index log by the
 * decider; an alarm is recorded as `HashsigReuseObserved` and freezes the key.
 *
 * What is checked before anything is recorded (a failure is `ObservedSignatureRejected`, 422):
 * - the bytes are an RFC 8554 HSS signature with the key's L levels and, at every level, the key's
 *   LMS and LM-OTS types (libhal uses one pair for all levels);
 * - every lower-level LMS public key is signed by the level above, the top one by the key's own
 *   public key (this needs no message: the lower trees' I values are the key's);
 * - with `message`: the whole signature verifies over it under the key's public key. Without it
 *   the bottom signature cannot be checked: the observation is judged on its index path and
 *   hash alone (`verified: false`), so an unverified alarm may rest on a forged signature.
 */
import type { Actor } from '../actor';
import { key } from '../../domain';
import type { HashsigParams, IndexPath } from '../../domain/hashsig';
import { HashsigMalformed, HashsigUnsupportedType } from '../../lib/errors';
import {
  parseHssPublicKey,
  parseHssSignature,
  type HssPublicKeyParts,
  type HssSignatureParts,
} from '../../lib/rfc8554';
import { hssSignatureLength } from '../../lib/rfc8554-params';
import { hssUnsignedLevel, lmsVerifyParts } from '../../lib/rfc8554-verify';
import { sha256Hex } from '../../lib/sha256';
import { hashsigSpkiToRfc8554 } from '../../lib/spki';
import type { CustodyCore } from './custody-core';
import { CustodyInvalidInput, ObservedSignatureRejected } from './errors';
import { LMOTS_TYPES, LMS_TYPES } from './hsm-calls';
import type { ObservedSignatureResult } from './views';

/** The largest HSS signature a libhal key makes (L = 8, H25, W2) is 41,196 bytes. */
export const MAX_OBSERVED_SIGNATURE = 48 * 1024;
/** As for signing: far above any document digest use. */
const MAX_MESSAGE = 16 * 1024 * 1024;

const LMS_NAME: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(LMS_TYPES).map(([name, code]) => [code, name]),
);
const LMOTS_NAME: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(LMOTS_TYPES).map(([name, code]) => [code, name]),
);
const typeName = (lmsType: number, lmotsType: number) =>
  `${LMS_NAME[lmsType] ?? `LMS type ${lmsType}`}/${LMOTS_NAME[lmotsType] ?? `LM-OTS type ${lmotsType}`}`;

export async function observeSignature(
  core: CustodyCore,
  keyId: string,
  input: { signature: Buffer; message?: Buffer },
  actor: Actor,
): Promise<ObservedSignatureResult> {
  const signature = input?.signature;
  const message = input?.message;
  if (!(signature instanceof Uint8Array) || signature.length === 0)
    throw new CustodyInvalidInput(`"signature" expected the bytes of an RFC 8554 HSS signature`);
  if (signature.length > MAX_OBSERVED_SIGNATURE)
    throw new CustodyInvalidInput(
      `"signature" expected at most ${MAX_OBSERVED_SIGNATURE} bytes, got ${signature.length}`,
    );
  if (message !== undefined && !(message instanceof Uint8Array))
    throw new CustodyInvalidInput(`"message" expected bytes`);
  if (message !== undefined && message.length > MAX_MESSAGE)
    throw new CustodyInvalidInput(`"message" expected at most ${MAX_MESSAGE} bytes, got ${message.length}`);

  // In the key's signing queue: no signature of the key reaches the index log while its history is read.
  return core.serialize(keyId, async () => {
    const { state, events } = await core.loadKey(keyId);
    if (state.status !== 'live')
      throw new key.KeyIsDestroyed(state.keyId, state.destroyedAt, 'observing a signature');
    if (state.keyType !== 'hashsig') throw new key.NotHashsig(keyId, state.keyType);
    const pub = parseHssPublicKey(hashsigSpkiToRfc8554(Buffer.from(state.publicKey, 'base64')));
    const sig = parseForKey(keyId, state.params, pub, signature);
    if (message !== undefined) {
      const bottom = sig.signedPublicKeys[sig.signedPublicKeys.length - 1]?.publicKey ?? pub.top;
      if (!lmsVerifyParts(bottom, message, sig.signature))
        throw new ObservedSignatureRejected(
          keyId,
          `it does not verify over the given message (its index path and lower-level keys are the key's, so either the message is not the one signed or the bottom signature was altered)`,
        );
    }
    const indexPath: IndexPath = sig.indexPath.map((level) => ({
      q: level.q,
      I: Buffer.from(level.I ?? pub.top.I).toString('hex'),
    }));
    const signatureSha256 = sha256Hex(signature);
    const messageSha256 = message === undefined ? null : sha256Hex(message);
    const history = key.observationHistory(
      events.filter((e) => key.isKeyEvent(e)) as unknown as key.KeyEvent[],
      indexPath,
      signatureSha256,
    );
    const data = { keyId, indexPath, signatureSha256, messageSha256, history };
    const ctx = core.context(actor);
    const decided = await core.decideKey(
      keyId,
      { type: 'RecordObservedSignature', data: { ...data, at: ctx.now() } },
      ctx,
    );
    const appended = decided.appended.find((e) => e.type === 'HashsigReuseObserved');
    const judged = key.judgeObservation(state, data);
    const after = decided.state.status === 'live' ? decided.state : state;
    return {
      keyId,
      indexPath,
      signatureSha256,
      outcome: judged.outcome,
      alarm: judged.outcome !== 'released',
      recorded: appended !== undefined,
      verified: messageSha256 !== null,
      detail: withHsmNames(core, appended?.data.detail ?? judged.detail),
      state: after.frozen === null ? 'active' : 'frozen',
    };
  });
}

/** Parses `signature` as an HSS signature of the key's shape whose lower-level keys the key signed. */
function parseForKey(
  keyId: string,
  params: HashsigParams,
  pub: HssPublicKeyParts,
  signature: Buffer,
): HssSignatureParts {
  let sig: HssSignatureParts;
  try {
    sig = parseHssSignature(signature);
  } catch (error) {
    if (error instanceof HashsigMalformed || error instanceof HashsigUnsupportedType)
      throw new ObservedSignatureRejected(keyId, `it is no RFC 8554 HSS signature (${error.message})`);
    throw error;
  }
  const levels = sig.signedPublicKeys.length + 1;
  if (levels !== params.levels)
    throw new ObservedSignatureRejected(
      keyId,
      `it has ${levels} level(s) (Nspk = ${levels - 1}), the key has L = ${params.levels}`,
    );
  const wanted = typeName(params.lmsType, params.lmotsType);
  const layers = [
    ...sig.signedPublicKeys.flatMap((s, k) => [
      { what: `the level-${k} signature`, lmsType: s.signature.lmsType, lmotsType: s.signature.lmotsType },
      {
        what: `the level-${k + 1} public key`,
        lmsType: s.publicKey.lmsType,
        lmotsType: s.publicKey.lmotsType,
      },
    ]),
    {
      what: `the level-${levels - 1} signature`,
      lmsType: sig.signature.lmsType,
      lmotsType: sig.signature.lmotsType,
    },
  ];
  for (const l of layers) {
    if (l.lmsType !== params.lmsType || l.lmotsType !== params.lmotsType)
      throw new ObservedSignatureRejected(
        keyId,
        `${l.what} is ${typeName(l.lmsType, l.lmotsType)}, the key's parameters are ${wanted}`,
      );
  }
  // Redundant after the checks above; kept as the one statement of the expected size.
  const expected = hssSignatureLength(params.levels, params.lmsType, params.lmotsType);
  if (signature.length !== expected)
    throw new ObservedSignatureRejected(
      keyId,
      `it has ${signature.length} bytes, the key's signatures ${expected}`,
    );
  const unsigned = hssUnsignedLevel(pub, sig);
  if (unsigned !== null)
    throw new ObservedSignatureRejected(
      keyId,
      `its level-${unsigned} public key (I = ${Buffer.from(sig.signedPublicKeys[unsigned - 1]!.publicKey.I).toString('hex')}) is not signed by level ${unsigned - 1} of the key`,
    );
  return sig;
}

/** The domain names HSMs by id; the answer names them `name (id)`, as refusals do (CustodyCore.withHsmNames). */
function withHsmNames(core: CustodyCore, text: string): string {
  let named = text;
  for (const [id, name] of core.reads.hsmNames()) {
    if (name !== id && named.includes(id)) named = named.split(id).join(`${name} (${id})`);
  }
  return named;
}
