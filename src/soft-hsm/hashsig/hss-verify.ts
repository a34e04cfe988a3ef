/** HSS verification of signatures from outside (RFC 8554 §6.3), on the strict parsers of src/lib/rfc8554. */
import { abytes } from '../../lib/bytes';
import { HashsigMalformed } from '../../lib/errors';
import {
  encodeLmsPublicKey,
  parseHssPublicKey,
  parseHssSignature,
  type HssPublicKeyParts,
  type HssSignatureParts,
} from '../../lib/rfc8554';
import { lmsVerifyParts } from './lms';

/** RFC 8554 §6.3 Algorithm for HSS verification. False for any invalid or malformed input. */
export function hssVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  abytes(publicKey, 'publicKey');
  abytes(message, 'message');
  abytes(signature, 'signature');
  let pub: HssPublicKeyParts;
  let sig: HssSignatureParts;
  try {
    pub = parseHssPublicKey(publicKey);
    sig = parseHssSignature(signature);
  } catch (err) {
    if (err instanceof HashsigMalformed) return false;
    throw err;
  }
  if (sig.signedPublicKeys.length + 1 !== pub.levels) return false;
  let key = pub.top;
  for (const signed of sig.signedPublicKeys) {
    if (!lmsVerifyParts(key, encodeLmsPublicKey(signed.publicKey), signed.signature)) return false;
    key = signed.publicKey;
  }
  return lmsVerifyParts(key, message, sig.signature);
}
