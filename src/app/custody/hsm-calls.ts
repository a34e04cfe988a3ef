/** Small helpers over the `Hsm` client for the custody steps (docs/libhal-rpc.md). */
import { verify, type KeyObject } from 'node:crypto';
import { Curve, type Hsm, type HsmError, KeyFlag } from '../../hsm-adapter';
import { sha256 } from '../../lib/sha256';

/** Every custody key: it signs, lives in the token store, and may be exported (§4.3, issue 4). */
export const CUSTODY_KEY_FLAGS = KeyFlag.USAGE_DIGITALSIGNATURE | KeyFlag.TOKEN | KeyFlag.EXPORTABLE;
/** The KEKEK on the destination (§5): decrypts the transit KEK; token so it survives a crash mid-transfer. */
export const KEKEK_FLAGS = KeyFlag.USAGE_KEYENCIPHERMENT | KeyFlag.TOKEN;
/** PKCS#11 CKA_LABEL: where the key's label lives on the HSM. */
export const LABEL_ATTRIBUTE = 3;

export const CURVES = { 'P-256': Curve.P256, 'P-384': Curve.P384, 'P-521': Curve.P521 } as const;
export const LMS_TYPES = { H5: 5, H10: 6, H15: 7, H20: 8, H25: 9 } as const;
export const LMOTS_TYPES = { W2: 2, W4: 3, W8: 4 } as const;

/** RFC 8017 §9.2 note 1: the DER prefix of DigestInfo for SHA-256. */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

export function statusOf(error: unknown): string | undefined {
  const e = error as Partial<HsmError & { status: string }> | null;
  return e?.kind === 'status' ? e.status : undefined;
}

/** RSA PKCS#1 v1.5 signs the DigestInfo (§3.3); ECDSA the digest; hashsig the message itself. */
export function signInput(keyType: 'rsa' | 'ec' | 'hashsig', data: Buffer): Buffer {
  if (keyType === 'rsa') return Buffer.concat([SHA256_DIGEST_INFO, sha256(data)]);
  if (keyType === 'ec') return sha256(data);
  return data;
}

/**
 * Whether `signature` is the RSA PKCS#1 v1.5 / ECDSA (r‖s) signature over SHA-256 of `data` by
 * `publicKey`. Runs on libuv's thread pool (node:crypto's callback form), not on the event loop:
 * it is the costliest step of a REST signature.
 */
export function signatureVerifies(
  keyType: 'rsa' | 'ec',
  publicKey: KeyObject,
  data: Buffer,
  signature: Buffer,
): Promise<boolean> {
  const key = keyType === 'ec' ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : publicKey;
  return new Promise((resolve, reject) =>
    verify('sha256', data, key, signature, (error, ok) => (error ? reject(error) : resolve(ok))),
  );
}

/** Opens the key named `name`, runs `fn` with its handle, closes the handle. Null when the HSM has no such key. */
export async function withKey<T>(
  client: Hsm,
  name: string,
  fn: (handle: number) => Promise<T>,
): Promise<{ value: T } | null> {
  let handle: number;
  try {
    handle = await client.open(name);
  } catch (error) {
    if (statusOf(error) === 'KEY_NOT_FOUND') return null;
    throw error;
  }
  try {
    return { value: await fn(handle) };
  } finally {
    await client.close(handle).catch(() => undefined);
  }
}

/**
 * PKEY_DELETE by name; true if deleted, false if the HSM had no such key (a repeated step). Custody
 * deletes through `HsmRegistry.deleteKey`, which first closes the handle kept to the key.
 */
export async function deleteByName(client: Hsm, name: string): Promise<boolean> {
  let handle: number;
  try {
    handle = await client.open(name);
  } catch (error) {
    if (statusOf(error) === 'KEY_NOT_FOUND') return false;
    throw error;
  }
  await client.delete(handle);
  return true;
}

/** Label and other attributes as stored in the ledger (type → base64) for PKEY_SET_ATTRIBUTES. */
export function attributeUpdates(
  attributes: Readonly<Record<string, string>>,
): { type: number; value: Buffer }[] {
  return Object.entries(attributes).map(([type, value]) => ({
    type: Number(type),
    value: Buffer.from(value, 'base64'),
  }));
}

/** Finds the HSM's names for keys with this public key among `names` (used after a crash, docs/architecture.md §4). */
export async function namesWithPublicKey(
  client: Hsm,
  names: readonly string[],
  spki: Buffer,
): Promise<string[]> {
  const found: string[] = [];
  for (const name of names) {
    const match = await withKey(client, name, async (h) => (await client.getPublicKey(h)).equals(spki));
    if (match?.value === true) found.push(name);
  }
  return found;
}
