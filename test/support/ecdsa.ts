import { createPublicKey, verify } from 'node:crypto';

/**
 * Whether `signature` (base64, raw r‖s as the API answers) is an ECDSA signature over SHA-256 of
 * `data` by the key whose SPKI (DER, base64) the API showed: the tests' own check with node:crypto.
 */
export function ecdsaVerifies(spkiBase64: string, data: Uint8Array, signatureBase64: string): boolean {
  const key = createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' });
  return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signatureBase64, 'base64'));
}
