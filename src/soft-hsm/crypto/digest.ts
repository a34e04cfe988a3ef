/**
 * libhal's digest algorithms (docs/libhal-rpc.md §4.2, `hal_digest_algorithm_t`), with the node:crypto
 * names that compute them and the DER AlgorithmIdentifiers (OID + NULL) HASH_GET_DIGEST_ALGORITHM_ID
 * returns and PKCS#1 DigestInfo embeds (RFC 8017 §9.2 note 1).
 */
import { createHash, createHmac } from 'node:crypto';
import { abytes } from '../../lib/bytes';
import { der, encodeDer } from '../../lib/der';
import { ArgumentError } from '../../lib/errors';

export type DigestName = 'sha1' | 'sha224' | 'sha256' | 'sha512-224' | 'sha512-256' | 'sha384' | 'sha512';

export interface DigestAlgorithm {
  /** hal_digest_algorithm_t. */
  readonly id: number;
  /** node:crypto hash name. */
  readonly name: DigestName;
  readonly digestLength: number;
  readonly blockLength: number;
  readonly oid: string;
  /** DER AlgorithmIdentifier { oid, NULL }. */
  readonly algorithmIdentifier: Uint8Array;
  /**
   * What HASH_GET_ALGORITHM reports for a handle of this algorithm. libhal's SHA-224 descriptor
   * says SHA256 (§4.2 quirk); every other algorithm reports itself.
   */
  readonly reportedId: number;
}

const table: [id: number, name: DigestName, digestLength: number, blockLength: number, oid: string][] = [
  [1, 'sha1', 20, 64, '1.3.14.3.2.26'],
  [2, 'sha224', 28, 64, '2.16.840.1.101.3.4.2.4'],
  [3, 'sha256', 32, 64, '2.16.840.1.101.3.4.2.1'],
  [4, 'sha512-224', 28, 128, '2.16.840.1.101.3.4.2.5'],
  [5, 'sha512-256', 32, 128, '2.16.840.1.101.3.4.2.6'],
  [6, 'sha384', 48, 128, '2.16.840.1.101.3.4.2.2'],
  [7, 'sha512', 64, 128, '2.16.840.1.101.3.4.2.3'],
];

export const DIGESTS: readonly DigestAlgorithm[] = table.map(([id, name, digestLength, blockLength, oid]) =>
  Object.freeze({
    id,
    name,
    digestLength,
    blockLength,
    oid,
    algorithmIdentifier: encodeDer(der.seq(der.oid(oid), der.null())),
    reportedId: name === 'sha224' ? 3 : id,
  }),
);

/** The algorithm for a hal_digest_algorithm_t; 0 (NONE) and unknown ids are BAD_ARGUMENTS. */
export function digestById(id: number): DigestAlgorithm {
  const alg = DIGESTS.find((d) => d.id === id);
  if (!alg) throw new ArgumentError('digest algorithm', `"digest algorithm" expected 1..7, got ${id}`);
  return alg;
}

export function digestByName(name: DigestName): DigestAlgorithm {
  const alg = DIGESTS.find((d) => d.name === name);
  if (!alg) throw new ArgumentError('digest algorithm', `unknown digest algorithm "${String(name)}"`);
  return alg;
}

export function digest(alg: DigestAlgorithm, data: Uint8Array): Uint8Array {
  abytes(data, 'data');
  return new Uint8Array(createHash(alg.name).update(data).digest());
}

/** HMAC (RFC 2104); libhal takes an empty key to mean "plain hash", so the RPC layer decides which. */
export function hmac(alg: DigestAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  abytes(key, 'hmac key');
  abytes(data, 'data');
  return new Uint8Array(createHmac(alg.name, key).update(data).digest());
}

export interface DigestContext {
  update(data: Uint8Array): void;
  /** Ends the context; a second call throws. */
  finish(): Uint8Array;
}

/** An incremental hash, or HMAC when `key` is non-empty (HASH_INITIALIZE / UPDATE / FINALIZE, §3.3). */
export function startDigest(alg: DigestAlgorithm, key: Uint8Array = new Uint8Array(0)): DigestContext {
  abytes(key, 'hmac key');
  const h = key.length === 0 ? createHash(alg.name) : createHmac(alg.name, key);
  return {
    update: (data) => {
      abytes(data, 'data');
      h.update(data);
    },
    finish: () => new Uint8Array(h.digest()),
  };
}
