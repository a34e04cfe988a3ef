/**
 * Per-type key operations on plaintext DER (libhal rpc_pkey.c, docs/libhal-rpc.md §3.3 "Semantics worth
 * knowing"): public key derivation, RSA/ECDSA signing and RSA/ECDSA/hashsig verification. The
 * engine does the handle, flag and keystore work around these; hashsig signing is stateful and
 * lives in hashsig-keys.ts.
 */
import { KeyType } from '../hsm-adapter/constants';
import {
  parseEcPrivateKeyInfo,
  parseHashsigPrivateKeyInfo,
  parseRsaPrivateKeyInfo,
  type EcPrivateKey,
} from '../lib/pkcs8';
import { buildEcSpki, buildHashsigSpki, buildRsaSpki, hashsigSpkiToRfc8554, parseEcSpki } from '../lib/spki';
import type { EcdsaNonce } from './crypto/ecdsa';
import {
  ecdsaSign,
  ecdsaVerify,
  publicKeyObject,
  rsaPrivateKeyObject,
  rsaSign,
  rsaVerify,
} from './crypto/signing';
import { rsaModulusBytes } from './crypto/rsa-kek';
import { hssVerify } from './hashsig';
import { fail } from './status';

/**
 * SPKIs derived from stored private keys, by the stored DER (the keystore keeps one array per key):
 * PKEY_GET_PUBLIC_KEY_LEN and PKEY_GET_PUBLIC_KEY follow every generation and import, and parsing
 * the PKCS#8 each time was most of their cost.
 */
const derivedSpkis = new WeakMap<Uint8Array, Uint8Array>();

/** SPKI of any stored key: the stored DER for public keys, derived for private ones. */
export function publicKeyDer(type: number, der: Uint8Array, rpc: string): Uint8Array {
  switch (type) {
    case KeyType.RSA_PUBLIC:
    case KeyType.EC_PUBLIC:
    case KeyType.HASHSIG_PUBLIC:
      return der;
    case KeyType.RSA_PRIVATE:
    case KeyType.EC_PRIVATE:
    case KeyType.HASHSIG_PRIVATE: {
      let spki = derivedSpkis.get(der);
      if (spki === undefined) {
        spki =
          type === KeyType.RSA_PRIVATE
            ? buildRsaSpki(parseRsaPrivateKeyInfo(der))
            : type === KeyType.EC_PRIVATE
              ? buildEcSpki(parseEcPrivateKeyInfo(der))
              : buildHashsigSpki(parseHashsigPrivateKeyInfo(der));
        derivedSpkis.set(der, spki);
      }
      // A copy: a caller may wipe or keep what it is given.
      return Uint8Array.from(spki);
    }
    default:
      throw fail('UNSUPPORTED_KEY', rpc);
  }
}

/** Modulus length of an RSA key (private PKCS#8 or SPKI). */
export function rsaKeyBytes(type: number, der: Uint8Array): number {
  return rsaModulusBytes(type === KeyType.RSA_PRIVATE ? rsaPrivateKeyObject(der) : publicKeyObject(der));
}

/** RSA PKEY_SIGN: `digestInfo` as given (≤ k − 11 bytes), EMSA-PKCS1-v1_5 type 01, deterministic. */
export function signRsa(der: Uint8Array, digestInfo: Uint8Array): Uint8Array {
  return rsaSign(rsaPrivateKeyObject(der), digestInfo);
}

/** ECDSA PKEY_SIGN: raw r ‖ s over the digest; k from `nonces` if given, else RFC 6979. */
export function signEc(
  key: Uint8Array | EcPrivateKey,
  digest: Uint8Array,
  nonces?: () => EcdsaNonce,
): Uint8Array {
  return ecdsaSign(key instanceof Uint8Array ? parseEcPrivateKeyInfo(key) : key, digest, nonces);
}

/** PKEY_VERIFY for RSA, EC and hashsig keys (private or public); false on any mismatch. */
export function verify(
  type: number,
  der: Uint8Array,
  input: Uint8Array,
  signature: Uint8Array,
  rpc: string,
): boolean {
  switch (type) {
    case KeyType.RSA_PRIVATE:
    case KeyType.RSA_PUBLIC: {
      const key = type === KeyType.RSA_PRIVATE ? rsaPrivateKeyObject(der) : publicKeyObject(der);
      return rsaVerify(key, input, signature);
    }
    case KeyType.EC_PRIVATE:
      return ecdsaVerify(parseEcPrivateKeyInfo(der), input, signature);
    case KeyType.EC_PUBLIC:
      return ecdsaVerify(parseEcSpki(der), input, signature);
    case KeyType.HASHSIG_PRIVATE:
    case KeyType.HASHSIG_PUBLIC:
      return hssVerify(hashsigSpkiToRfc8554(publicKeyDer(type, der, rpc)), input, signature);
    default:
      throw fail('UNSUPPORTED_KEY', rpc);
  }
}
