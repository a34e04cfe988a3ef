/**
 * The two blobs of PKEY_EXPORT and what PKEY_IMPORT does with them (docs/libhal-rpc.md §5.3 steps 3–7,
 * §5.4), composed from keywrap, rsa-kek and der. Handle, flag and size checks stay with the HSM.
 */
import type { KeyObject } from 'node:crypto';
import { abytes } from '../../lib/bytes';
import { DerError } from '../../lib/errors';
import { buildEncryptedPrivateKeyInfo, parseEncryptedPrivateKeyInfo } from '../../lib/pkcs8';
import { OID } from '../../lib/spki';
import { randomFrom, wipe, type Rng } from './bytes';
import { KEK_LENGTH, unwrapKey, wrapKey } from './keywrap';
import { decryptKek, encryptKek } from './rsa-kek';

/** HAL_KS_WRAPPED_KEYSIZE: libhal's buffer for one wrapped key, and the import bound on both blobs. */
export const WRAPPED_KEY_MAX = 5480;

export interface ExportBlobs {
  /** EncryptedPrivateKeyInfo { id-aes256-wrap-pad, RFC 5649 wrap of the PKCS#8 }. */
  pkcs8: Uint8Array;
  /** EncryptedPrivateKeyInfo { rsaEncryption, RSAES-PKCS1-v1_5 of the KEK }. */
  kek: Uint8Array;
}

/** §5.3 steps 3–7: a fresh KEK from `rng`, the key wrapped under it, the KEK under the KEKEK. */
export function exportBlobs(pkcs8: Uint8Array, kekek: KeyObject, rng: Rng): ExportBlobs {
  abytes(pkcs8, 'pkcs8');
  const kek = randomFrom(rng, KEK_LENGTH);
  try {
    return {
      pkcs8: buildEncryptedPrivateKeyInfo(OID.aes256WrapPad, wrapKey(kek, pkcs8)),
      kek: buildEncryptedPrivateKeyInfo(OID.rsaEncryption, encryptKek(kekek, kek, rng)),
    };
  } finally {
    wipe(kek);
  }
}

/**
 * §5.4 in libhal's order: parse the kek blob (rsaEncryption, 2 … 5480 bytes), RSA-decrypt it with
 * the random-KEK fallback, parse the pkcs8 blob (id-aes256-wrap-pad, ≤ 5480 bytes), unwrap.
 * Returns the plaintext PKCS#8 (or SPKI) DER; the caller guesses its type and stores it.
 */
export function importBlobs(blobs: ExportBlobs, kekek: KeyObject, rng: Rng): Uint8Array {
  const kekInfo = parseEncryptedPrivateKeyInfo(blobs.kek);
  if (kekInfo.algorithm !== OID.rsaEncryption) {
    throw new DerError(0, `kek blob algorithm ${kekInfo.algorithm} is not rsaEncryption`);
  }
  if (kekInfo.data.length < 2 || kekInfo.data.length > WRAPPED_KEY_MAX) {
    throw new DerError(
      0,
      `kek blob ciphertext of ${kekInfo.data.length} bytes is outside 2..${WRAPPED_KEY_MAX}`,
    );
  }
  const kek = decryptKek(kekek, kekInfo.data, rng);
  try {
    const keyInfo = parseEncryptedPrivateKeyInfo(blobs.pkcs8);
    if (keyInfo.algorithm !== OID.aes256WrapPad) {
      throw new DerError(0, `pkcs8 blob algorithm ${keyInfo.algorithm} is not id-aes256-wrap-pad`);
    }
    if (keyInfo.data.length > WRAPPED_KEY_MAX) {
      throw new DerError(0, `pkcs8 blob of ${keyInfo.data.length} bytes exceeds ${WRAPPED_KEY_MAX}`);
    }
    return unwrapKey(kek, keyInfo.data);
  } finally {
    wipe(kek);
  }
}
